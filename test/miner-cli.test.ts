// `loco mine --json` headless: one miner on a wall-clock window source with a static peer list
// (itself), one window: NDJSON events from training to the outer step, objects in its store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loco, tempDir } from './helpers.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { keys } from '../src/protocol/naming.js';
import { parseEvent } from '../src/protocol/events.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { writeHotkey } from '../src/wallet/wallet.js';
import { writeShard } from '../src/data/shards.js';

test('loco mine --json runs a window and prints NDJSON events', { timeout: 180_000 }, async () => {
  const home = tempDir('loco-mine-cli-');
  const T = 64;
  const n = 32 * T + 1;
  const shard = join(home, 'data_train_000000.bin');
  writeShard(shard, Uint16Array.from({ length: n }, (_, i) => (i * 7 + 3) % 500));
  const m = defaultManifest({ name: 'cli-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, warmup_steps: 0 };
  m.window.upload_delta_s = 60;
  const bytes = serializeManifest(m);
  const manifestPath = join(home, 'run.json');
  writeFileSync(manifestPath, bytes);
  const runId = parseManifest(bytes).runId;

  const kp = await keypairFromSeed(new Uint8Array(createHash('sha256').update('loco-mine-cli').digest()));
  const wallets = join(home, 'wallets');
  await writeHotkey({ path: wallets, name: 'w' }, 'h', kp, {});
  const store = pathToFileURL(join(home, 'store')).href;
  const peers = join(home, 'peers.json');
  writeFileSync(peers, JSON.stringify([{ uid: 3, hotkey: kp.ss58Address, store }]));

  const r = loco(
    ['mine', '--json', '--wallet-path', wallets, '--wallet-name', 'w', '--hotkey', 'h', '--manifest', manifestPath, '--data', shard, '--store', store, '--peers', peers, '--uid', '3', '--window-seconds', '2', '--windows', '1', '--threads', '1', '--work-dir', join(home, 'work')],
    { home },
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const events = r.stdout.trim().split('\n').map((l) => parseEvent(l));
  assert.ok(events.every((e) => e !== null), r.stdout);
  const names = events.map((e) => e!.event);
  assert.equal(names.filter((x) => x === 'inner_step').length, 2);
  for (const x of ['upload', 'gather', 'outer_step']) assert.ok(names.includes(x as never), `no ${x}: ${names.join(',')}`);
  const g = events.find((e) => e!.event === 'gather')!;
  assert.ok(g.event === 'gather');
  assert.deepEqual(g.accepted, [3]);
  assert.ok(events.every((e) => e!.role === 'miner' && e!.uid === 3));
  assert.ok(existsSync(join(home, 'store', ...keys.debug(runId, g.window!, 3).split('/'))));
});
