// Pausing a miner (p on the live screen): in a paused window it neither trains nor uploads, yet it
// keeps applying the outer steps, so after resuming it is bit-identical with a miner that never paused.
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

test('a paused miner skips training and upload but stays in sync', { timeout: 240_000 }, async () => {
  const dir = tempDir('loco-miner-pause-');
  const T = 64;
  const N = 32;
  const shard = join(dir, 'data_train_000000.bin');
  writeBandedShard(shard, N, T, 7);
  const m = defaultManifest({ name: 'pause-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window.upload_delta_s = 4;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const keys = await Promise.all([0, 1].map((u) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`pause-${u}`).digest()))));
  const url = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  const list = await staticPeers(keys.map((k, u) => ({ uid: u, hotkey: k.ss58Address, store: url(u) })));
  const clock = new ManualClock(0);
  // miner 1 is paused in window 0 only: window 0 then has one payload, window 1 two
  const expected = new Map([[0, 1], [1, 2]]);
  const ready = new Map<number, number>();
  const events: LocoEvent[] = [];
  const onEvent = (e: LocoEvent) => {
    events.push(e);
    if (e.event === 'phase' && e.phase === 'compress' && e.state === 'end') {
      const c = (ready.get(e.window!) ?? 0) + 1;
      ready.set(e.window!, c);
      // the next window begins once every expected payload is ready (stamped a second back: coarse file clocks)
      if (c === expected.get(e.window!)) setImmediate(() => clock.advance(e.window! + 1, new Date(Date.now() - 1000)));
    }
  };
  const engines = await Promise.all([0, 1].map(() => Engine.start({ threads: 1 })));
  try {
    const miners = [0, 1].map(
      (u) => new Miner({ engine: engines[u], manifest: loaded, shards: [shard], numSamples: N, uid: u, hotkey: keys[u], store: openStore(url(u)), peers: async () => list, workDir: join(dir, `w${u}`), events: onEvent }),
    );
    await Promise.all(miners.map((mi) => mi.initModel()));
    let pausedNow = true;
    const paused = () => {
      const p = pausedNow;
      pausedNow = false; // resumes from window 1 on
      return p;
    };
    await Promise.all([runMiner(miners[0], clock, { windows: 2 }), runMiner(miners[1], clock, { windows: 2, paused })]);

    const of1 = events.filter((e) => e.uid === 1);
    assert.deepEqual(of1.filter((e) => e.event === 'paused').map((e) => e.event === 'paused' && [e.window, e.paused]), [[0, true], [1, false]]);
    assert.deepEqual(of1.filter((e) => e.event === 'upload').map((e) => e.window), [1], 'no upload while paused');
    assert.ok(!of1.some((e) => e.event === 'inner_step' && e.window === 0), 'no training while paused');
    const gathers = events.filter((e) => e.event === 'gather');
    for (const g of gathers) {
      if (g.event !== 'gather') continue;
      assert.deepEqual(g.accepted, g.window === 0 ? [0] : [0, 1], JSON.stringify(g));
    }
    assert.equal(events.filter((e) => e.event === 'outer_step').length, 4, 'both miners applied both outer steps');
    const probe = [...debugIndices(miners[0].run), ...Array.from({ length: 100 }, (_, i) => i * 16007)];
    const [a, b] = await Promise.all(engines.map((e) => e.sampleParams(probe)));
    assert.deepEqual(b, a, 'the paused miner is bit-identical after resuming');
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
});
