// A real terminal: `loco mine` on a TTY (tmux, CI=false so Ink renders live) shows the Mine screen
// fed by the miner's events; `q` stops the loop and the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCO, ROOT, tempDir } from './helpers.js';
import { defaultManifest, serializeManifest } from '../src/protocol/manifest.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { writeHotkey } from '../src/wallet/wallet.js';
import { writeShard } from '../src/data/shards.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('loco mine on a terminal shows the live Mine screen and q quits', { skip: !hasTmux && 'tmux not installed', timeout: 180_000 }, async () => {
  const home = tempDir('loco-tui-tmux-');
  const T = 64;
  const n = 32 * T + 1;
  const shard = join(home, 'data_train_000000.bin');
  writeShard(shard, Uint16Array.from({ length: n }, (_, i) => (i * 7 + 3) % 500));
  const m = defaultManifest({ name: 'tui-test', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, warmup_steps: 0 };
  m.window.upload_delta_s = 60;
  const manifestPath = join(home, 'run.json');
  writeFileSync(manifestPath, serializeManifest(m));
  const kp = await keypairFromSeed(new Uint8Array(createHash('sha256').update('loco-tui-tmux').digest()));
  await writeHotkey({ path: join(home, 'wallets'), name: 'w' }, 'h', kp, {});
  const store = pathToFileURL(join(home, 'store')).href;
  const peers = join(home, 'peers.json');
  writeFileSync(peers, JSON.stringify([{ uid: 5, hotkey: kp.ss58Address, store }]));

  const sock = `loco-tui-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [
    `cd ${q(ROOT)} &&`,
    `env CI=false HOME=${q(home)} LOCO_CONFIG_DIR=${q(join(home, '.config-loco'))} NO_COLOR=1`,
    q(process.execPath),
    q(LOCO),
    ...['mine', '--wallet-path', join(home, 'wallets'), '--wallet-name', 'w', '--hotkey', 'h', '--manifest', manifestPath, '--data', shard, '--store', store, '--peers', peers, '--uid', '5', '--window-seconds', '3', '--windows', '40', '--threads', '1', '--work-dir', join(home, 'work')].map(q),
    `; echo LOCO_EXIT=$?; sleep 120`,
  ].join(' ');
  const started = tmux('new-session', '-d', '-s', 'tui', '-x', '110', '-y', '40', cmd);
  assert.equal(started.status, 0, started.stderr);
  const screen = () => tmux('capture-pane', '-p', '-t', 'tui').stdout ?? '';
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    let s = screen();
    while (!re.test(s) && Date.now() < end) {
      await sleep(500);
      s = screen();
    }
    return s;
  };
  try {
    const s = await waitFor(/outer steps [1-9][\s\S]*gathered 1: 5/, 120_000);
    assert.match(s, /loco mine .*uid 5/, s);
    assert.match(s, /step \d+ +loss \d+\.\d{4}/, s);
    assert.match(s, /[\u2801-\u28ff]/, 'braille loss chart');
    assert.match(s, /↑\d+(\.\d)?K ↓\d+(\.\d)?K \d+×/, s);
    assert.doesNotMatch(s, /"event":/, 'no NDJSON on the screen');
    tmux('send-keys', '-t', 'tui', 'q');
    const end = await waitFor(/LOCO_EXIT=\d+/, 60_000);
    assert.match(end, /LOCO_EXIT=0/, end);
  } finally {
    tmux('kill-server');
  }
});
