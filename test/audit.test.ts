// `loco audit` in one process: three honest miners and a validator run two windows on a manual
// clock with file:// stores; the audit re-runs the validator's scoring from the public objects alone
// (Validator.processWindow replayed from θ₀ with the published nonces) and reproduces it. Then one
// miner's stored payload is replaced — first by a different, validly re-signed payload, then by
// bytes whose signature no longer holds — and the audit names that miner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loco, tempDir, writeBandedShard } from './helpers.js';
import { decodePayloadUnverified, encodePayload } from '../src/codec/payload.js';
import type { EncodedTensor } from '../src/codec/sparseloco.js';
import { normaliseWeights } from '../src/chain/weights.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { keys } from '../src/protocol/naming.js';
import type { LocoEvent } from '../src/protocol/events.js';
import { openStore } from '../src/storage/index.js';
import { ShardSet } from '../src/data/shards.js';
import { Engine } from '../src/trainer/engine.js';
import { keypairFromSeed, type Keypair } from '../src/wallet/keypair.js';
import { ManualClock, staticPeers } from '../src/miner/window.js';
import { Miner } from '../src/miner/miner.js';
import { Validator } from '../src/validator/validator.js';
import { auditWindow, chainWeightsDiff, humanAudit, type AuditReport, type ChainWeights } from '../src/validator/audit.js';

const dir = tempDir('loco-audit-test-');
const T = 64;
const N = 48;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 4242);
const key = (n: number) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-audit-test-${n}`).digest()));

test('audit reproduces a validator\'s window; a replaced payload is reported for that miner', { timeout: 240_000 }, async () => {
  const m = defaultManifest({ name: 'audit-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window.upload_delta_s = 60;
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring.windows_per_weights = 1;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const numSamples = new ShardSet([SHARD], T).numSamples;
  const MINERS = [0, 1, 2];
  const VALIDATOR = 9;
  const kp = new Map<number, Keypair>();
  for (const u of [...MINERS, VALIDATOR]) kp.set(u, await key(u));
  const storeDir = (u: number) => join(dir, `store-${u}`);
  const storeUrl = (u: number) => pathToFileURL(storeDir(u)).href;
  const peerList = await staticPeers(MINERS.map((u) => ({ uid: u, hotkey: kp.get(u)!.ss58Address, store: storeUrl(u) })));
  const peers = async () => peerList;
  // windows of S wall-clock seconds in the past, so `loco audit --window-seconds S` (WallClock) finds
  // the same window start times as the manual clock the run used; uploads are stamped 1 s into the
  // upload time of their window (a file store's LastModified is the file's mtime). B is fixed, not
  // read from the clock: the window number picks each miner's data and, through the nonce below,
  // the validator's draw. With B = 59861271 (the clock's, in a CI run on 2026-11-28) the miner
  // ranked first in both windows missed the own-vs-random margin in the second, the other two were
  // rated below 0, and no weights were set; with a fixed B every run is the same run
  const S = 30;
  const B = 59_861_278;
  const clock = new ManualClock(B);
  const weightsEvents: LocoEvent[] = [];

  // two engines are enough: the miners train one after the other
  const engines = await Promise.all([0, 1].map(() => Engine.start({ threads: 1 })));
  const minerEngines = await Promise.all(MINERS.slice(1).map(() => Engine.start({ threads: 1 })));
  const all = [...engines, ...minerEngines];
  try {
    const mEng = [engines[0], ...minerEngines];
    const miners = MINERS.map(
      (u, i) => new Miner({ engine: mEng[i], manifest: loaded, shards: [SHARD], numSamples, uid: u, hotkey: kp.get(u)!, store: openStore(storeUrl(u)), peers, workDir: join(dir, `work-${u}`) }),
    );
    const validator = new Validator({
      engine: engines[1],
      manifest: loaded,
      shards: [SHARD],
      numSamples,
      uid: VALIDATOR,
      store: openStore(storeUrl(VALIDATOR)),
      peers,
      workDir: join(dir, 'work-v'),
      events: (e) => e.event === 'weights' && weightsEvents.push(e),
      // a fixed evaluation draw per window (the default is crypto random): with a random one, a rare
      // draw scored every miner 0, the validator set no weights, and the weights checks below had
      // nothing to compare (a CI run on 2026-11-27)
      nonce: (w) => new Uint8Array(createHash('sha256').update(`loco-audit-test-nonce-${w}`).digest()),
    });
    await Promise.all([...miners.map((x) => x.initModel()), validator.initModel()]);
    for (let w = B; w < B + 2; w++) {
      for (const x of miners) await x.train(w);
      clock.advance(w + 1, new Date((w + 1) * S * 1000));
      const t0 = await clock.startTime(w + 1);
      await Promise.all(miners.map((x) => x.upload(w)));
      for (const u of MINERS) utimesSync(join(storeDir(u), keys.gradient(loaded.runId, w, u)), new Date(t0.getTime() + 1000), new Date(t0.getTime() + 1000));
      await Promise.all(miners.map((x) => x.sync(w, t0)));
      const r = await validator.processWindow(w, t0);
      assert.deepEqual(r.gather.accepted.map((a) => a.uid), MINERS);
      assert.equal(r.evaluated.length, 3);
    }

    // what the validator "set on chain" for window 1: its weights event, u16-normalised as the SDK does
    const wev = weightsEvents.at(-1) as Extract<LocoEvent, { event: 'weights' }>;
    const sent = normaliseWeights(wev.uids, wev.weights);
    assert.ok(sent.uids.length > 0, `the validator set no weights: ${JSON.stringify(wev)}`);
    const onChain: ChainWeights = { block: 123, uids: sent.uids, values: sent.values };

    const audit = (chainWeights?: () => Promise<ChainWeights[]>): Promise<AuditReport> =>
      auditWindow({
        manifest: loaded,
        shards: [SHARD],
        numSamples,
        validatorStore: openStore(storeUrl(VALIDATOR)),
        window: B + 1,
        peers,
        startTime: (w) => clock.startTime(w),
        engine: engines[0],
        workDir: join(dir, 'audit'),
        chainWeights,
      });

    // 1. untouched: every miner matches, the weights match what was set
    const t1 = performance.now();
    const ok = await audit(async () => [{ ...onChain, block: 122, values: onChain.values.map((v) => v ^ 1024) }, onChain]);
    const auditSeconds = (performance.now() - t1) / 1000;
    assert.equal(ok.match, true, humanAudit(ok).join('\n'));
    assert.deepEqual(ok.replayed, [B, B + 1]);
    assert.deepEqual(ok.miners.map((x) => [x.uid, x.match, x.recomputed.status]), MINERS.map((u) => [u, true, 'gathered']));
    for (const x of ok.miners) assert.ok(x.recomputed.evaluation && x.published.evaluation && x.recomputed.digest === x.published.digest);
    assert.equal(ok.weights.chainMatch, true);
    assert.equal(ok.weights.chain?.block, 123); // the set_weights that carries these weights, not the first one
    assert.ok(auditSeconds < 60, `audit took ${auditSeconds.toFixed(1)} s`);
    // weights on chain that differ from the recomputed ones are named (the comparison auditWindow uses)
    const recomputed = Object.entries(ok.weights.recomputed).map(([u, x]) => [Number(u), x] as [number, number]);
    assert.deepEqual(chainWeightsDiff(recomputed, onChain), []);
    const skewed: ChainWeights = { ...onChain, values: onChain.values.map((v, i) => (i === 0 ? Math.max(0, v - 5000) : v)) };
    assert.deepEqual(chainWeightsDiff(recomputed, skewed), [`uid ${onChain.uids[0]}: on chain ${skewed.values[0]}/65535, recomputed ${onChain.values[0]}/65535`]);

    // the same through the command line, from files and URLs only
    const manifestFile = join(dir, 'run.json');
    writeFileSync(manifestFile, loaded.bytes);
    const peersFile = join(dir, 'peers.json');
    writeFileSync(peersFile, JSON.stringify(MINERS.map((u) => ({ uid: u, hotkey: kp.get(u)!.ss58Address, store: storeUrl(u) }))));
    // the command's own scratch folder (no --work-dir) goes under TMPDIR and must be gone afterwards
    const cliTmp = join(dir, 'cli-tmp');
    mkdirSync(cliTmp, { recursive: true });
    const cli = (json = true) =>
      loco(
        ['audit', '--window', String(B + 1), '--validator', kp.get(VALIDATOR)!.ss58Address, '--manifest', manifestFile, '--data', SHARD, '--peers', peersFile,
          '--validator-store', storeUrl(VALIDATOR), '--window-seconds', String(S), '--threads', '1', ...(json ? ['--json'] : [])],
        { home: dir, env: { TMPDIR: cliTmp } },
      );
    const cliOk = cli(true);
    assert.equal(cliOk.code, 0, cliOk.stdout + cliOk.stderr);
    assert.deepEqual(readdirSync(cliTmp), [], 'loco audit left its scratch folder behind');
    assert.equal(cliOk.json.data.match, true);
    assert.deepEqual(cliOk.json.data.miners.map((x: { uid: number; match: boolean }) => [x.uid, x.match]), MINERS.map((u) => [u, true]));

    // 2. miner 1's window-1 payload replaced by different content, validly re-signed by miner 1's
    //    key, with the original LastModified (so only the content differs)
    const TAMPERED = 1;
    const file = join(storeDir(TAMPERED), keys.gradient(loaded.runId, B + 1, TAMPERED));
    const original = readFileSync(file);
    const { mtime } = statSync(file);
    const tensors = decodePayloadUnverified(original).tensors as unknown as EncodedTensor[];
    const altered = tensors.map((t) => ({ ...t, codes: t.codes.map((c) => 3 - c) }));
    writeFileSync(file, await encodePayload({ manifestHash: loaded.hash, window: B + 1, uid: TAMPERED }, altered, kp.get(TAMPERED)!));
    utimesSync(file, mtime, mtime);
    const bad = await audit();
    if (process.env.LOCO_TEST_EVENTS) console.error(humanAudit(bad).join("\n"));
    assert.equal(bad.match, false);
    const t = bad.miners.find((x) => x.uid === TAMPERED)!;
    assert.equal(t.match, false);
    assert.equal(t.recomputed.status, 'gathered');
    assert.ok(t.differences.some((d) => d.startsWith('payload: the stored payload')), t.differences.join('\n'));
    assert.ok(t.differences.some((d) => /^(afterOwn|afterRandom|gradientScore)/.test(d)), t.differences.join('\n'));
    // the other miners' payloads are the ones that were scored (their numbers may move with the
    // window's median-norm clip, but never their payload digest)
    for (const x of bad.miners.filter((y) => y.uid !== TAMPERED)) assert.ok(!x.differences.some((d) => d.startsWith('payload:')), x.differences.join('\n'));
    assert.ok(humanAudit(bad).some((l) => /^\s+1\s.*MISMATCH$/.test(l)), humanAudit(bad).join('\n'));

    // 3. the same file with its signature broken: now rejected where the validator had gathered it
    const broken = Buffer.from(original);
    broken[broken.length - 1] ^= 0xff;
    writeFileSync(file, broken);
    utimesSync(file, mtime, mtime);
    const rej = await audit();
    const r = rej.miners.find((x) => x.uid === TAMPERED)!;
    assert.equal(rej.match, false);
    assert.equal(r.recomputed.status, 'rejected:bad_signature');
    assert.ok(r.differences.some((d) => d === 'gather: published gathered, recomputed rejected:bad_signature'), r.differences.join('\n'));

    // the command line: exit 6, the miner named in the message and in the report
    const cliBad = cli(true);
    assert.equal(cliBad.code, 6, cliBad.stdout + cliBad.stderr);
    assert.match(cliBad.json.error.message, /not reproduced \(miners? [0-9, ]*1/);
    const badMiner = cliBad.json.error.details.report.miners.find((x: { uid: number }) => x.uid === TAMPERED);
    assert.equal(badMiner.recomputed.status, 'rejected:bad_signature');
  } finally {
    await Promise.all(all.map((e) => e.shutdown()));
  }
});
