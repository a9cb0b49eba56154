// The role loops themselves (runMiner, runValidator) on a manual window clock: two miners and a
// validator run on their own, the test only advances the clock once both miners have their payload
// for the window. The validator runs one window behind, keeps the same model, and its saved state
// (ratings, sync EMA) survives a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir, writeBandedShard } from './helpers.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import type { LocoEvent } from '../src/protocol/events.js';
import { openStore } from '../src/storage/index.js';
import { Engine } from '../src/trainer/engine.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { ManualClock, staticPeers, debugIndices } from '../src/miner/window.js';
import { Miner, runMiner } from '../src/miner/miner.js';
import { Validator, runValidator } from '../src/validator/validator.js';

test('runMiner × 2 and runValidator on a manual clock: in sync, validator one window behind, state survives a restart', { timeout: 240_000 }, async () => {
  const dir = tempDir('loco-window-loop-');
  const T = 64;
  const N = 48;
  const shard = join(dir, 'data_train_000000.bin');
  writeBandedShard(shard, N, T, 99);
  const m = defaultManifest({ name: 'loop-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window.upload_delta_s = 60;
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const keys = await Promise.all([0, 1].map((u) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loop-${u}`).digest()))));
  const url = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  const list = await staticPeers(keys.map((k, u) => ({ uid: u, hotkey: k.ss58Address, store: url(u) })));
  const peers = async () => list;
  const clock = new ManualClock(0);
  const WINDOWS = 2;

  const events: LocoEvent[] = [];
  const ready = new Map<number, number>();
  const onMinerEvent = (e: LocoEvent) => {
    events.push(e);
    // both payloads of window w are ready: the next window begins (stamped a second back, see window-protocol.test.ts)
    if (e.event === 'phase' && e.phase === 'compress' && e.state === 'end') {
      const c = (ready.get(e.window!) ?? 0) + 1;
      ready.set(e.window!, c);
      if (c === 2) setImmediate(() => clock.advance(e.window! + 1, new Date(Date.now() - 1000)));
    }
  };
  const engines = await Promise.all([0, 1, 2].map(() => Engine.start({ threads: 1 })));
  try {
    const miners = [0, 1].map(
      (u) => new Miner({ engine: engines[u], manifest: loaded, shards: [shard], numSamples: N, uid: u, hotkey: keys[u], store: openStore(url(u)), peers, workDir: join(dir, `w${u}`), events: onMinerEvent }),
    );
    const statePath = join(dir, 'v', 'state.json');
    const vEvents: LocoEvent[] = [];
    const validator = new Validator({ engine: engines[2], manifest: loaded, shards: [shard], numSamples: N, uid: 7, store: openStore(url(7)), peers, workDir: join(dir, 'v'), statePath, events: (e) => vEvents.push(e) });
    await Promise.all([...miners.map((mi) => mi.initModel()), validator.initModel()]);

    const vRun = runValidator(validator, clock, { windows: WINDOWS, from: 0 });
    await Promise.all(miners.map((mi) => runMiner(mi, clock, { windows: WINDOWS })));
    // the validator processes window w once w + 2 has begun
    clock.advance(WINDOWS + 1, new Date(Date.now() - 1000));
    await vRun;

    const gathers = events.filter((e) => e.event === 'gather');
    assert.equal(gathers.length, 2 * WINDOWS);
    for (const g of gathers) assert.ok(g.event === 'gather' && g.accepted.length === 2 && g.missing.length === 0, JSON.stringify(g));
    const evals = vEvents.filter((e) => e.event === 'evaluation');
    assert.equal(evals.length, 2 * WINDOWS);
    const probe = [...debugIndices(miners[0].run), ...Array.from({ length: 200 }, (_, i) => i * 16007)];
    const vals = await Promise.all(engines.map((e) => e.sampleParams(probe)));
    assert.deepEqual(vals[1], vals[0]);
    assert.deepEqual(vals[2], vals[0]);

    // a restarted validator reads its state back
    const again = new Validator({ engine: engines[2], manifest: loaded, shards: [shard], numSamples: N, uid: 7, store: openStore(url(7)), peers, workDir: join(dir, 'v'), statePath });
    assert.deepEqual(again.gauntlet.state(), validator.gauntlet.state());
    assert.equal(again.lastWindow, WINDOWS - 1);
    assert.equal(again.globalStep, WINDOWS);
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
});

test('runMiner after a restart replays every window that ended, also those that ended during the replay', async () => {
  // a miner whose replay takes until the next window: the source moves on while catchUp runs
  let now = 5;
  const calls: string[] = [];
  const source = {
    current: async () => now,
    waitFor: async (w: number) => { now = Math.max(now, w); },
    startTime: async (w: number) => new Date(Date.now() - 1000 * (10 - w)),
  };
  const fake = {
    o: { manifest: { manifest: defaultManifest({ name: 'replay-test', dataset: { name: 'synthetic', shards: ['x.bin'], sha256: '0'.repeat(64) } }) } },
    ev: { window: null as number | null, emit: () => {} },
    catchUp: async (from: number, to: number) => {
      calls.push(`replay ${from}-${to}`);
      if (from === 3) now = 6;  // the first replay ends in window 6
      return to - from + 1;
    },
    train: async (w: number) => { calls.push(`train ${w}`); },
    upload: async (w: number) => { calls.push(`upload ${w}`); },
    sync: async (w: number) => { calls.push(`sync ${w}`); },
  };
  await runMiner(fake as unknown as Miner, source, { windows: 1, catchUpFrom: 3 });
  // 3 and 4 (over at the restart), then 5 (over during that replay), then window 6 trained as usual
  assert.deepEqual(calls, ['replay 3-4', 'replay 5-5', 'train 6', 'upload 6', 'sync 6']);
});
