// The window protocol end to end in one process: two honest miners and one validator, each with its
// own native engine and its own file:// store, driven by a manual window clock (no chain) for three
// windows, plus three adversaries whose payloads must be rejected with their reasons (unsigned,
// wrong manifest hash, uploaded after Δt), a copier (valid, but miner 0's payload re-signed) and one
// registered peer that never uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir, writeBandedShard } from './helpers.js';
import { decodePayloadUnverified, encodePayload, serializeUnsigned, SIGNATURE_BYTES } from '../src/codec/payload.js';
import type { EncodedTensor } from '../src/codec/sparseloco.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { keys } from '../src/protocol/naming.js';
import { parseEvent, toNdjson, type LocoEvent } from '../src/protocol/events.js';
import { openStore } from '../src/storage/index.js';
import { ShardSet } from '../src/data/shards.js';
import { Engine } from '../src/trainer/engine.js';
import { keypairFromSeed, type Keypair } from '../src/wallet/keypair.js';
import { ManualClock, staticPeers, debugIndices } from '../src/miner/window.js';
import { Miner } from '../src/miner/miner.js';
import { Validator } from '../src/validator/validator.js';

const dir = tempDir('loco-window-test-');


// 64 samples of T = 64 tokens; sample i draws its tokens from its own 40 ids, so training on one's
// own assigned samples helps them much more than a random batch (the Gauntlet's own-vs-random test).
const T = 64;
const N = 64;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 12345);

const key = (n: number) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-window-test-${n}`).digest()));

test('two miners and a validator: payloads exchanged, bad ones rejected with reasons, models stay bit-identical, scores and weights', { timeout: 240_000 }, async () => {
  const m = defaultManifest({ name: 'window-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0, total_steps: 100_000 };
  m.window.upload_delta_s = 60;
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring.windows_per_weights = 1;
  m.checkpoint.every_windows = 2;
  const loaded = parseManifest(serializeManifest(m));
  const numSamples = new ShardSet([SHARD], T).numSamples;
  assert.equal(numSamples, N);

  const HONEST = [0, 1];
  const UNSIGNED = 2;
  const WRONG_MANIFEST = 3;
  const LATE = 4;
  const SILENT = 6;
  const COPY = 5;
  const VALIDATOR = 9;
  const kp = new Map<number, Keypair>();
  for (const u of [...HONEST, UNSIGNED, WRONG_MANIFEST, LATE, COPY, SILENT, VALIDATOR]) kp.set(u, await key(u));
  const storeDir = (u: number) => join(dir, `store-${u}`);
  const storeUrl = (u: number) => pathToFileURL(storeDir(u)).href;
  const peerList = await staticPeers([...HONEST, UNSIGNED, WRONG_MANIFEST, LATE, COPY, SILENT].map((u) => ({ uid: u, hotkey: kp.get(u)!.ss58Address, store: storeUrl(u) })));
  const peers = async () => peerList;

  const events: LocoEvent[] = [];
  const sink = (e: LocoEvent) => {
    // every event survives the NDJSON round trip
    const back = parseEvent(toNdjson(e).trimEnd());
    assert.ok(back, `event ${e.event} does not round-trip`);
    events.push(e);
    if (process.env.LOCO_TEST_EVENTS && ['evaluation', 'weights', 'gather', 'outer_step'].includes(e.event)) console.error(toNdjson(e).trimEnd());
  };

  const engines = await Promise.all([0, 1, 2].map(() => Engine.start({ threads: 1 })));
  try {
    const miners = HONEST.map(
      (u, i) =>
        new Miner({ engine: engines[i], manifest: loaded, shards: [SHARD], numSamples, uid: u, hotkey: kp.get(u)!, store: openStore(storeUrl(u)), peers, workDir: join(dir, `work-${u}`), events: sink }),
    );
    const validator = new Validator({
      engine: engines[2],
      manifest: loaded,
      shards: [SHARD],
      numSamples,
      uid: VALIDATOR,
      store: openStore(storeUrl(VALIDATOR)),
      peers,
      workDir: join(dir, `work-${VALIDATOR}`),
      events: sink,
      nonce: (w) => new Uint8Array(createHash('sha256').update(`nonce-${w}`).digest()),
    });
    await Promise.all([...miners.map((x) => x.initModel()), validator.initModel()]);

    const probe = [...debugIndices(miners[0].run), ...Array.from({ length: 400 }, (_, i) => i * 8311)];
    const clock = new ManualClock(0);
    const WINDOWS = 3;
    let lastReport: Awaited<ReturnType<Validator['processWindow']>> | undefined;
    for (let w = 0; w < WINDOWS; w++) {
      const trained = await Promise.all(miners.map((x) => x.train(w)));
      // stamp the new window a second back: a file's mtime comes from the kernel's coarse clock and
      // could otherwise read a few ms before a start stamped just now, in the same second (too_early)
      clock.advance(w + 1, new Date(Date.now() - 1000));
      const t0 = await clock.startTime(w + 1);
      await Promise.all(miners.map((x) => x.upload(w)));

      // adversaries reuse honest miner 0's tensors under their own uid and key
      const tensors = decodePayloadUnverified(trained[0].payload).tensors as unknown as EncodedTensor[];
      const body = serializeUnsigned({ manifestHash: loaded.hash, window: w, uid: UNSIGNED }, kp.get(UNSIGNED)!.publicKey, tensors);
      const unsigned = new Uint8Array(body.length + SIGNATURE_BYTES);
      unsigned.set(body);
      await openStore(storeUrl(UNSIGNED)).put(keys.gradient(loaded.runId, w, UNSIGNED), unsigned);
      const otherRun = new Uint8Array(createHash('sha256').update('another run').digest());
      await openStore(storeUrl(WRONG_MANIFEST)).put(
        keys.gradient(loaded.runId, w, WRONG_MANIFEST),
        await encodePayload({ manifestHash: otherRun, window: w, uid: WRONG_MANIFEST }, tensors, kp.get(WRONG_MANIFEST)!),
      );
      const lateKey = keys.gradient(loaded.runId, w, LATE);
      await openStore(storeUrl(LATE)).put(lateKey, await encodePayload({ manifestHash: loaded.hash, window: w, uid: LATE }, tensors, kp.get(LATE)!));
      const lateAt = new Date(t0.getTime() + (m.window.upload_delta_s + 30) * 1000); // the store's clock says: after Δt
      utimesSync(join(storeDir(LATE), ...lateKey.split('/')), lateAt, lateAt);
      // a copier re-signs miner 0's payload as its own and uploads it (validly, in time) after miner 0
      const copyKey = keys.gradient(loaded.runId, w, COPY);
      await openStore(storeUrl(COPY)).put(copyKey, await encodePayload({ manifestHash: loaded.hash, window: w, uid: COPY }, tensors, kp.get(COPY)!));
      const copyAt = new Date(Date.now() + 5000);
      utimesSync(join(storeDir(COPY), ...copyKey.split('/')), copyAt, copyAt);

      const gathers = await Promise.all(miners.map((x) => x.sync(w, t0)));
      for (const g of gathers) {
        assert.deepEqual(g.accepted.map((a) => a.uid), [...HONEST, COPY]);
        assert.deepEqual(
          g.rejected.map((r) => [r.uid, r.reason]),
          [
            [UNSIGNED, 'bad_signature'],
            [WRONG_MANIFEST, 'manifest_mismatch'],
            [LATE, 'too_late'],
          ],
        );
        assert.deepEqual(g.missing, [SILENT]);
      }
      lastReport = await validator.processWindow(w, t0);
      assert.deepEqual(lastReport.gather.accepted.map((a) => a.uid), [...HONEST, COPY]);
      // the copy check starts after the first outer step; from then on the copier is not evaluated
      assert.deepEqual(lastReport.evaluated.map((e) => e.uid).sort(), w === 0 ? [...HONEST, COPY] : HONEST);
      for (const e of lastReport.evaluated) {
        for (const v of [e.beforeOwn, e.afterOwn, e.beforeRandom, e.afterRandom, e.gradientScore, e.sync]) assert.ok(Number.isFinite(v), `non-finite score ${JSON.stringify(e)}`);
        if (w > 0) assert.equal(e.sync, 1, 'an honest miner in sync has sync score 1');
      }

      // everyone applied the same outer step: parameters are bit-identical
      const vals = await Promise.all(engines.map((e) => e.sampleParams(probe)));
      assert.deepEqual(vals[1], vals[0], `miner parameters diverged after window ${w}`);
      assert.deepEqual(vals[2], vals[0], `validator parameters diverged after window ${w}`);
    }

    // the shared model changed, and the honest miners trained on their own data
    const w = lastReport!.weights;
    assert.ok(w.size > 0, 'weights are not empty');
    for (const u of w.keys()) assert.ok(HONEST.includes(u), `uid ${u} got weight`);
    assert.ok(Math.abs([...w.values()].reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const st = validator.gauntlet.state();
    for (const p of st.peers) assert.ok(Number.isFinite(p.final) && Number.isFinite(p.mu) && Number.isFinite(p.binaryMA));
    for (const u of [UNSIGNED, WRONG_MANIFEST, LATE, COPY, SILENT]) assert.equal(validator.gauntlet.peer(u).final, 0);
    assert.ok(events.some((e) => e.event === 'penalty' && e.peer === COPY && e.penalty === 'copy_max'), 'the copier is penalised');
    assert.ok(!events.some((e) => e.event === 'penalty' && HONEST.includes(e.peer) && e.penalty.startsWith('copy')), 'honest miners are not taken for copiers');

    // the events the TUI and --json consume
    const names = new Set(events.map((e) => e.event));
    for (const n of ['inner_step', 'phase', 'upload', 'gather', 'payload_rejected', 'outer_step', 'evaluation', 'penalty', 'scores', 'weights', 'checkpoint']) assert.ok(names.has(n as LocoEvent['event']), `no ${n} event`);
    const up = events.find((e) => e.event === 'upload')!;
    assert.ok(up.event === 'upload' && up.bytes * 50 < up.dense_bytes, 'payload is compressed');
    assert.ok(events.some((e) => e.event === 'payload_rejected' && e.peer === LATE && e.reason === 'too_late'));
    // published objects: sampled parameters, scores, a checkpoint
    assert.ok(await openStore(storeUrl(0)).head(keys.debug(loaded.runId, 2, 0)));
    assert.ok(await openStore(storeUrl(1)).head(keys.checkpoint(loaded.runId, 1)));
    assert.ok(await openStore(storeUrl(VALIDATOR)).head(keys.scores(loaded.runId, 2)));

    // miner 0 is killed, restarts from its published checkpoint (window 1) and replays window 2's
    // outer step from the stored payloads: back to the same bits as everyone else
    await engines[0].kill();
    engines[0] = await Engine.start({ threads: 1 });
    const ckpt = join(dir, 'restart.ckpt');
    writeFileSync(ckpt, (await openStore(storeUrl(0)).get(keys.checkpoint(loaded.runId, 1))).data);
    const restarted = new Miner({ engine: engines[0], manifest: loaded, shards: [SHARD], numSamples, uid: 0, hotkey: kp.get(0)!, store: openStore(storeUrl(0)), peers, workDir: join(dir, 'work-0b') });
    await restarted.initModel(ckpt);
    assert.equal(await restarted.catchUp(2, WINDOWS - 1, (x) => clock.startTime(x)), 1);
    const again = await Promise.all(engines.map((e) => e.sampleParams(probe)));
    assert.deepEqual(again[0], again[1], 'the restarted miner is back in sync');
    assert.deepEqual(again[2], again[1]);
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
});
