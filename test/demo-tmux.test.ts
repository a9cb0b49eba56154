// The real terminal: `loco demo` inside tmux (CI=false so Ink renders live). The dashboard comes up,
// the shared loss falls below its first value, the leaderboard shows weights that landed on chain;
// `q` stops everything and no process of the demo (the demo, its four children, their engines) is
// left. The last screen is kept in $LOCO_DEMO_CAPTURE when set (docs/demo.md shows one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCO, ROOT, tempDir, withMachineLock } from './helpers.js';
import { groupMembers } from '../src/demo/children.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pid → process group of every live process whose command line mentions `needle`. */
function processesMentioning(needle: string, shells?: Set<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (!cmd.includes(needle)) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      // the pane's shell (it runs the demo, then echoes LOCO_EXIT and sleeps) is tmux's, not the
      // demo's; the demo process itself shares its process group
      if (cmd.includes('LOCO_EXIT')) shells?.add(Number(rest[2]));
      else out.set(Number(e), Number(rest[2]));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

test('loco demo in a terminal: loss falls, weights land, q stops every process', { skip: !hasTmux && 'tmux not installed', timeout: 240_000 }, async () => withMachineLock('demo', async () => {
  const home = tempDir('loco-demo-tmux-');
  const dir = join(home, 'demo');
  const sock = `loco-demo-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [
    `cd ${q(ROOT)} &&`,
    `env CI=false HOME=${q(home)} LOCO_CONFIG_DIR=${q(join(home, '.config-loco'))} NO_COLOR=1`,
    q(process.execPath),
    q(LOCO),
    'demo',
    '--dir',
    q(dir),
    `; echo LOCO_EXIT=$?; sleep 120`,
  ].join(' ');
  assert.equal(tmux('new-session', '-d', '-s', 'demo', '-x', '120', '-y', '42', cmd).status, 0);
  const screen = () => tmux('capture-pane', '-p', '-t', 'demo').stdout ?? '';
  const groups = new Set<number>();
  const shells = new Set<number>();
  const shows = (s: string) => {
    const m = /step \d+ +loss (\d+\.\d{4}) +first (\d+\.\d{4})/.exec(s);
    const falling = m !== null && Number(m[1]) < Number(m[2]);
    const weighted = /included in block \d+/.test(s) && /│ 1 +\d +\S+ .* 0\.\d{3} +│/.test(s);
    return falling && weighted;
  };
  let s = '';
  try {
    const end = Date.now() + 180_000;
    while (Date.now() < end) {
      s = screen();
      for (const g of processesMentioning(dir, shells).values()) groups.add(g);
      if (shows(s)) break;
      await sleep(1000);
    }
    assert.ok(shows(s), s);
    assert.match(s, /loco demo  subnet 1 on ws:\/\/127\.0\.0\.1:\d+ · block \d+ · window \d+/);
    assert.match(s, /[\u2801-\u28ff]/, 'braille loss chart');
    assert.match(s, /miner +uid 3/);
    assert.match(s, /w\d+ +↑\d+\.\dK +↓\d+\.\dK +\d+×/, 'bytes per window and the compression ratio');
    assert.doesNotMatch(s, /"event":/, 'no NDJSON on the screen');
    if (process.env.LOCO_DEMO_CAPTURE) writeFileSync(process.env.LOCO_DEMO_CAPTURE, s);
    // the validator and three miners: four process groups of their own (the engines share their
    // parent's); the demo process is in the pane shell's group
    for (const g of shells) groups.delete(g);
    assert.ok(groups.size >= 4, `process groups seen: ${[...groups].join(',')}`);
    const t0 = Date.now();
    tmux('send-keys', '-t', 'demo', 'q');
    let done = '';
    while (Date.now() - t0 < 60_000 && !/LOCO_EXIT=\d+/.test(done)) {
      await sleep(500);
      done = screen();
    }
    assert.match(done, /LOCO_EXIT=0/, done);
    assert.match(done, /stopped \(quit\)/, done);
    assert.deepEqual([...processesMentioning(dir).keys()], [], 'no process mentions the demo folder');
    for (const g of groups) assert.deepEqual(await groupMembers(g), [], `process group ${g} is empty`);
    console.log(`q → exit in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    tmux('kill-server');
  }
}));
