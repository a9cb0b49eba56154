// `loco demo --json` headless: the whole local subnet (devnet in the demo process, one validator and
// three miners as child process groups) for two windows, then `--resume` for two more. Events of all
// four roles arrive, the shared loss falls, weights land on chain, nothing the demo started survives
// it, and the resumed run continues from the saved model instead of starting over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCO, tempDir, withMachineLock } from './helpers.js';
import { groupMembers } from '../src/demo/children.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function runDemo(args: string[], home: string): Promise<{ code: number | null; events: Any[]; stderr: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [LOCO, 'demo', '--json', ...args], {
      env: { ...process.env, HOME: home, LOCO_CONFIG_DIR: join(home, '.config-loco'), NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => p.kill('SIGINT'), 150_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code, events, stderr: err, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(statOf(pid));
function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return ') Z ';
  }
}

async function noneLeft(ready: Any): Promise<void> {
  assert.equal(alive(ready.pid), false, 'the demo process is gone');
  for (const p of ready.participants) {
    assert.equal(alive(p.pid), false, `${p.role} ${p.uid} (pid ${p.pid}) is gone`);
    assert.deepEqual(await groupMembers(p.pid), [], `nothing left in the process group of ${p.role} ${p.uid}`);
  }
}

/**
 * The shared model's loss at the start of each window: the miners' first inner-step loss (each on
 * its own fresh data), averaged. Within a window every miner's loss falls anyway; this one only falls
 * when the outer steps move the shared model.
 */
function windowStartLoss(events: Any[]): number[] {
  const acc = new Map<number, { s: number; n: number }>();
  for (const e of events) {
    if (e.event !== 'inner_step' || e.role !== 'miner' || e.inner !== 1 || e.loss === null) continue;
    const a = acc.get(e.window) ?? { s: 0, n: 0 };
    a.s += e.loss;
    a.n += 1;
    acc.set(e.window, a);
  }
  return [...acc.entries()].sort((a, b) => a[0] - b[0]).map(([, a]) => a.s / a.n);
}

test('loco demo --json runs a whole subnet headless, stops cleanly and resumes', { timeout: 300_000 }, async () => withMachineLock('demo', async () => {
  const home = tempDir('loco-demo-');
  const dir = join(home, 'demo');
  const first = await runDemo(['--dir', dir, '--windows', '3'], home);
  writeFileSync(join(home, 'first.ndjson'), first.events.map((e) => JSON.stringify(e)).join('\n'));
  assert.equal(first.code, 0, first.stderr.slice(-2000));
  const ready = first.events.find((e) => e.event === 'demo_ready');
  assert.ok(ready, 'demo_ready');
  assert.equal(ready.resumed, false);
  assert.deepEqual(ready.participants.map((p: Any) => p.role).sort(), ['miner', 'miner', 'miner', 'validator']);
  for (const p of ready.participants) assert.ok(first.events.some((e) => e.role === p.role && e.uid === p.uid), `events from ${p.role} ${p.uid}`);
  for (const s of ['wallets', 'data', 'devnet', 'subnet', 'manifest', 'children']) assert.ok(first.events.some((e) => e.event === 'demo_step' && e.step === s && e.state === 'done'), `step ${s}`);
  assert.ok(first.events.every((e) => e.v === 1 && typeof e.t === 'string' && typeof e.role === 'string'));

  const losses = windowStartLoss(first.events);
  assert.ok(losses.length >= 2, JSON.stringify(losses));
  assert.ok(losses[losses.length - 1] < losses[0], `loss falls: ${losses.join(' → ')}`);
  const weights = first.events.filter((e) => e.event === 'weights' && e.role === 'validator');
  // (on failure: what each side gathered, uploaded and evaluated, so a rare miss can be traced)
  const trail = () => JSON.stringify(first.events.filter((e) => ['weights', 'gather', 'upload', 'payload_rejected', 'evaluation', 'penalty', 'error'].includes(e.event))
    .map((e) => ({ ...e, v: undefined })).slice(-60));
  assert.ok(weights.some((w) => w.submitted && w.included && w.block > 0), trail());
  assert.ok(first.events.some((e) => e.event === 'evaluation'));
  assert.ok(first.events.some((e) => e.event === 'upload' && e.dense_bytes / e.bytes > 100), `compressed uploads: ${trail()}`);
  assert.ok(!first.events.some((e) => e.event === 'error'), JSON.stringify(first.events.filter((e) => e.event === 'error')));
  const stopped = first.events[first.events.length - 1];
  assert.equal(stopped.event, 'demo_stopped');
  assert.equal(stopped.reason, 'windows');
  const exits = first.events.filter((e) => e.event === 'demo_exit');
  assert.equal(exits.length, 4);
  // each child stopped by itself after the demo's SIGTERM (none needed the SIGKILL of its group)
  assert.ok(exits.every((e) => e.signal === null && e.code !== null), JSON.stringify(exits));
  await noneLeft(ready);
  // the password of the demo coldkey never shows
  const pw = readFileSync(join(dir, 'password'), 'utf8').trim();
  assert.ok(!JSON.stringify(first.events).includes(pw) && !first.stderr.includes(pw));

  const lastWindow = Math.max(...first.events.filter((e) => e.event === 'outer_step' && e.role === 'miner').map((e) => e.window));
  const lastLoss = losses[losses.length - 1];
  // one scored window (the windows the first run stopped in and the children's start-up took carry no
  // payloads: the miners replay them empty and the validator finds nobody, which does not count)
  const second = await runDemo(['--dir', dir, '--resume', '--windows', '1'], home);
  writeFileSync(join(home, 'second.ndjson'), second.events.map((e) => JSON.stringify(e)).join('\n'));
  assert.equal(second.code, 0, second.stderr.slice(-2000));
  const ready2 = second.events.find((e) => e.event === 'demo_ready');
  assert.equal(ready2.resumed, true);
  assert.equal(ready2.netuid, ready.netuid);
  assert.equal(ready2.run_id, ready.run_id);
  assert.ok(!second.events.some((e) => e.event === 'demo_step' && (e.step === 'wallets' || e.step === 'subnet')), 'resume sets nothing up again');
  const steps2 = second.events.filter((e) => e.event === 'inner_step');
  assert.ok(steps2.length > 0);
  assert.ok(Math.min(...steps2.map((e) => e.window)) >= lastWindow, 'windows continue');
  // the resumed miners start from the saved model (its step count and its loss), not from θ₀ at ln(50257) ≈ 10.83
  const lastStep = Math.max(...first.events.filter((e) => e.event === 'inner_step').map((e) => e.step));
  const firstStep2 = Math.min(...steps2.map((e) => e.step));
  assert.ok(firstStep2 > 8, `resumed engine steps continue (first ${firstStep2}, first run ended at ${lastStep})`);
  const firstLoss2 = windowStartLoss(second.events)[0];
  assert.ok(firstLoss2 < losses[0] - 0.08, `resumed at ${firstLoss2}, first run began at ${losses[0]} and its last window at ${lastLoss}`);
  assert.ok(second.events.some((e) => e.event === 'evaluation'), 'the resumed validator evaluates');
  await noneLeft(ready2);
  console.log(`demo: first run ${first.seconds.toFixed(0)} s (losses ${losses.map((x) => x.toFixed(3)).join(' → ')}), resume ${second.seconds.toFixed(0)} s (first window ${firstLoss2.toFixed(3)})`);
}));
