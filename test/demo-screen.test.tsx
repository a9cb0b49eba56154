// The demo dashboard with ink-testing-library, fed a recorded `loco demo --json` stream
// (test/fixtures/demo-run.ndjson: a real run of three validator windows, trimmed of most
// demo_block events): each panel shows what the events say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { DemoScreen, staticDemoSource, DemoBus } from '../src/tui/DemoScreen.js';
import { demoBandwidth, foldDemo, sharedLossView, validatorView, windowLosses, type AnyDemoEvent } from '../src/tui/demo-state.js';
import { sortedLeaderboard } from '../src/tui/state.js';
import { ROOT } from './helpers.js';

const events = readFileSync(join(ROOT, 'test', 'fixtures', 'demo-run.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as AnyDemoEvent);
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
async function until(frame: () => string | undefined, re: RegExp, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (re.test(f) || Date.now() > end) return f;
    await tick();
  }
}

test('demo view: per-participant views, shared loss falling, bandwidth summed over miners, leaderboard from the validator', () => {
  const v = foldDemo(events);
  assert.deepEqual(Object.keys(v.participants).sort(), ['miner:1', 'miner:2', 'miner:3', 'validator:0']);
  assert.equal(v.ready?.netuid, 1);
  assert.equal(v.stopped?.reason, 'windows');
  assert.equal(v.exits.length, 4);
  const wl = windowLosses(v);
  assert.ok(wl.length >= 4);
  assert.ok(wl[wl.length - 1].loss < wl[0].loss - 0.3, JSON.stringify(wl));
  // the shared curve averages the three miners at each (window, inner step)
  const inner = events.filter((e) => e.event === 'inner_step' && e.window === wl[0].window && e.inner === 1) as { loss: number }[];
  assert.equal(inner.length, 3);
  const loss = sharedLossView(v);
  assert.ok(Math.abs(loss.steps[0].loss! - inner.reduce((a, e) => a + e.loss, 0) / 3) < 1e-12);
  // bytes per window: the three uploads of a window summed
  const w = (events.find((e) => e.event === 'upload') as { window: number }).window;
  const ups = events.filter((e) => e.event === 'upload' && e.window === w) as { bytes: number; dense_bytes: number }[];
  const row = demoBandwidth(v).find((b) => b.window === w)!;
  assert.equal(row.up, ups.reduce((a, e) => a + e.bytes, 0));
  assert.ok(row.ratio! > 150, `ratio ${row.ratio}`);
  // leaderboard: the validator's last scores, best final first
  const lastScores = [...events].reverse().find((e) => e.event === 'scores') as { peers: { uid: number; final: number }[] };
  const expected = lastScores.peers.slice().sort((a, b) => b.final - a.final || a.uid - b.uid).map((p) => p.uid);
  assert.deepEqual(sortedLeaderboard(validatorView(v)!.leaderboard).map((r) => r.uid), expected);
});

test('DemoScreen shows the header, shared loss chart, participants, bytes per window, leaderboard and weights on chain', async () => {
  const r = render(<DemoScreen source={staticDemoSource(events)} intervalMs={0} color={false} keys={false} />);
  const f = await until(r.lastFrame, /included in block 262/);
  const lastBlock = (events.find((e) => e.event === 'demo_stopped') as { block: number }).block;
  assert.match(f, new RegExp(`loco demo  stopped \\(windows\\)  subnet 1 on ws://127\\.0\\.0\\.1:\\d+ · block ${lastBlock} · window \\d+ \\(next in \\d+ s\\)`));
  assert.match(f, /stopped \(windows\)/);
  assert.match(f, /Loss/);
  assert.match(f, /[\u2801-\u28ff]/, 'braille chart');
  const m = /step (\d+) +loss (\d+\.\d{4}) +first (\d+\.\d{4})/.exec(f);
  assert.ok(m, f);
  assert.ok(Number(m[2]) < Number(m[3]), `last ${m[2]} below first ${m[3]}`);
  assert.match(f, /per window [▁▂▃▄▅▆▇█]{4,}/);
  assert.match(f, /validator uid 0 +w\d+/);
  for (const uid of [1, 2, 3]) assert.match(f, new RegExp(`miner +uid ${uid} +w\\d+ exited 0`));
  assert.match(f, /Bytes per window \(all miners\)/);
  assert.match(f, /w\d+ +↑\d+\.\dK +↓\d+\.\dK +2\d\d×/);
  assert.match(f, /Leaderboard \(3 miners, \d+ evaluations\)/);
  // rows in the order of the final scores: rank 1 is the best
  const rows = [...f.matchAll(/│ (\d) +(\d) +\S+ +-?\d/g)].map((x) => [Number(x[1]), Number(x[2])]);
  const v = foldDemo(events);
  assert.deepEqual(rows.map(([, uid]) => uid), sortedLeaderboard(validatorView(v)!.leaderboard).map((x) => x.uid), f);
  assert.match(f, /Weight submissions/);
  assert.match(f, /w\d+ 2 uids: included in block 262/);
  r.unmount();
});

test('DemoScreen during set-up shows the steps with their progress, then the dashboard; q calls onQuit', async () => {
  const bus = new DemoBus();
  let quit = 0;
  const r = render(<DemoScreen source={bus} intervalMs={0} color={false} onQuit={() => quit++} />);
  const upToReady = events.findIndex((e) => e.event === 'demo_ready');
  for (const e of events.slice(0, upToReady - 1)) bus.emit(e);
  bus.emit({ v: 1, t: new Date().toISOString(), role: 'demo', uid: null, window: null, event: 'demo_step', step: 'children', state: 'start', detail: '4 processes' });
  let f = await until(r.lastFrame, /4 processes/);
  assert.match(f, /loco demo  setting up/);
  assert.match(f, /Setting up/);
  assert.match(f, /✓ demo wallets/);
  assert.match(f, /✓ bundled data → token shards — 2\.37 M training tokens \(\d+\.\d s\)/);
  assert.match(f, /✓ local chain \(devnet, fast blocks\)/);
  assert.match(f, /✓ subnet, registrations, stake, commitments — subnet 1/);
  assert.match(f, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 1 validator \+ 3 miners — 4 processes/);
  for (const e of events.slice(upToReady - 1)) bus.emit(e);
  f = await until(r.lastFrame, /Leaderboard/);
  assert.doesNotMatch(f, /Setting up/);
  r.stdin.write('q');
  await tick(50);
  assert.equal(quit, 1);
  r.unmount();
});
