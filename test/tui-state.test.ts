import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brailleChart, sparkline } from '../src/tui/chart.js';
import { sampleMinerEvents, sampleValidatorEvents } from '../src/tui/sample.js';
import { fold, sortedLeaderboard, windowSeries } from '../src/tui/state.js';

test('reducer: a miner stream gives loss per step and per window, tokens/s, bandwidth, peers, log', () => {
  const ev = sampleMinerEvents(3, 6);
  const v = fold(ev);
  assert.equal(v.role, 'miner');
  assert.equal(v.uid, 0);
  assert.equal(v.window, 2);
  assert.equal(v.steps.length, 18);
  assert.equal(v.steps[17].step, 18);
  const wins = windowSeries(v);
  assert.deepEqual(wins.map((w) => w.window), [0, 1, 2]);
  const mean0 = ev.filter((e) => e.event === 'inner_step' && e.window === 0).reduce((s, e) => s + (e as { loss: number }).loss, 0) / 6;
  assert.ok(Math.abs(wins[0].loss - mean0) < 1e-12);
  assert.ok(wins[0].loss > wins[1].loss && wins[1].loss > wins[2].loss, 'per-window loss falls');
  assert.equal(v.tokensPerS, 5100 + 18 * 3);
  assert.equal(v.bandwidth.length, 3);
  assert.deepEqual(
    { up: v.bandwidth[0].up, down: v.bandwidth[0].down, ratio: v.bandwidth[0].ratio, up_s: v.bandwidth[0].uploadSeconds, gather_s: v.bandwidth[0].gatherSeconds },
    { up: 248394, down: 745182, ratio: 60, up_s: 0.12, gather_s: 0.18 },
  );
  assert.deepEqual(v.peers, { window: 2, accepted: [0, 1, 3], missing: [4], rejected: [{ uid: 2, reason: 'bad_signature', message: 'signature does not verify for hotkey 5F…' }] });
  assert.equal(v.outerSteps, 3);
  assert.equal(v.phase, null);
  assert.match(v.log[v.log.length - 1].text, /checkpoint/);
  assert.ok(v.log.some((l) => l.level === 'warn' && /uid 2 rejected: bad_signature/.test(l.text)));
});

test('reducer: a validator stream gives leaderboard rows, weights and inclusion', () => {
  const v = fold(sampleValidatorEvents());
  const rows = sortedLeaderboard(v.leaderboard);
  assert.deepEqual(rows.map((r) => r.uid), [3, 1, 2, 4]);
  const r3 = rows[0];
  assert.ok(Math.abs((r3.ownImprovement ?? 0) - 0.03) < 1e-9);
  assert.ok(Math.abs((r3.randomImprovement ?? 0) - 0.001) < 1e-9);
  assert.equal(r3.mu, 27.5);
  assert.equal(r3.weight, 0.737);
  assert.equal(rows[3].penalty, 'missing');
  assert.equal(rows[3].weight, 0);
  assert.equal(v.evaluated, 3);
  assert.deepEqual(v.weights, [{ window: 0, t: v.weights[0].t, count: 3, submitted: true, included: true, block: 1234, error: undefined, mode: undefined }]);
});

test('reducer: on a commit–reveal subnet a hash commit keeps the weights in force, its reveal sets them', () => {
  const ev = sampleValidatorEvents();
  const set = ev.find((e) => e.event === 'weights')!;
  if (set.event !== 'weights') throw new Error('no weights event');
  const before = fold(ev);
  const committed = fold([...ev, { ...set, window: 1, uids: [1], weights: [1], mode: 'commit', block: 1300 }]);
  assert.deepEqual(sortedLeaderboard(committed.leaderboard).map((r) => r.weight), sortedLeaderboard(before.leaderboard).map((r) => r.weight));
  assert.equal(committed.weights[1].mode, 'commit');
  assert.match(committed.log[committed.log.length - 1].text, /committed \(hash\) in block 1300/);
  const revealed = fold([...ev, { ...set, window: null, uids: [1], weights: [1], mode: 'reveal', block: 1345 }]);
  assert.equal(revealed.leaderboard.find((r) => r.uid === 1)?.weight, 1);
  assert.equal(revealed.leaderboard.find((r) => r.uid === 3)?.weight, 0);
  assert.match(revealed.log[revealed.log.length - 1].text, /revealed in block 1345/);
});

test('reducer: a non-finite loss is kept as a gap and an error event is logged (fatal stops)', () => {
  const [first] = sampleMinerEvents(1, 1);
  const step = { ...first, event: 'inner_step', step: 1, inner: 1, loss: null, lr: 1e-3, grad_norm: null, tokens_per_s: 1 } as const;
  const err = { ...first, event: 'error', kind: 'internal', message: 'engine died', fatal: true } as const;
  const v = fold([step, err]);
  assert.equal(v.steps[0].loss, null);
  assert.deepEqual(windowSeries(v), []);
  assert.equal(v.fatal, 'engine died');
  assert.equal(v.log[0].level, 'error');
});

test('charts: braille plot of a falling series is high at top-left, low at bottom-right; sparkline falls', () => {
  const values = Array.from({ length: 50 }, (_, i) => 10 - i * 0.15);
  const { lines, min, max } = brailleChart(values, { width: 20, height: 4 });
  assert.equal(lines.length, 4);
  assert.ok(lines.every((l) => l.length === 20));
  assert.notEqual(lines[0][0], ' ', 'top-left drawn');
  assert.notEqual(lines[3][19], ' ', 'bottom-right drawn');
  assert.equal(lines[0][19], ' ', 'top-right empty');
  assert.equal(lines[3][0], ' ', 'bottom-left empty');
  assert.equal(max, 10);
  assert.ok(Math.abs(min - (10 - 49 * 0.15)) < 1e-12);
  const s = sparkline([5, 4, 3, 2, 1], 10);
  assert.equal(s, '█▆▅▃▁');
  const lg = brailleChart([1000, 100, 10, 1], { width: 4, height: 2, log: true });
  assert.notEqual(lg.lines[0][0], ' ');
  assert.notEqual(lg.lines[1][3], ' ');
});
