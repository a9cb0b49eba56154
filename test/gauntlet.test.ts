import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gauntlet, indexOverlap, lossScore, paramsFromManifest, stepsBehind, syncScore } from '../src/validator/gauntlet.js';
import { SplitMix64 } from '../src/protocol/assignment.js';
import { defaultManifest } from '../src/protocol/manifest.js';

const params = { ...paramsFromManifest(defaultManifest()), gatherPeers: 3, reservePeers: 2 };
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('loss score: relative improvement on random data; indicator compares own vs random', () => {
  const s = lossScore({ beforeOwn: 4, afterOwn: 3, beforeRandom: 4, afterRandom: 3.8 });
  close(s.gradientScore, 0.05);
  close(s.improveOwn, 0.25);
  assert.equal(s.indicator, 1);
  assert.equal(lossScore({ beforeOwn: 4, afterOwn: 3.9, beforeRandom: 4, afterRandom: 3.8 }).indicator, -1);
  assert.throws(() => lossScore({ beforeOwn: NaN, afterOwn: 1, beforeRandom: 1, afterRandom: 1 }), /finite/);
});

test('sync score and steps behind', () => {
  assert.equal(syncScore(0), 1);
  assert.equal(syncScore(5), 0);
  assert.equal(syncScore(9), 0);
  close(syncScore(2.5), 0.5 ** 2.5);
  assert.equal(syncScore(NaN), 0);
  // |Δ| / ema = [0, 1, 2, 10] → median (1+2)/2
  assert.equal(stepsBehind([1, 1, 1, 1], [1, 1.1, 1.2, 2], [0.1, 0.1, 0.1, 0.1]).toFixed(6), '1.500000');
  assert.equal(stepsBehind([1], [1, 2], [1]), Infinity);
});

test('index overlap: identical 1, disjoint 0, weighted by chunk size', () => {
  const a = [[[1, 2, 3, 4], [5, 6]]];
  assert.equal(indexOverlap(a, a), 1);
  assert.equal(indexOverlap(a, [[[9, 10, 11, 12], [7, 8]]]), 0);
  assert.equal(indexOverlap(a, [[[1, 2, 30, 40], [7, 8]]]), 2 / 6);
});

test('scores: moving average, OpenSkill ranking, final = ordinal × max(0, MA) × sync, penalties', () => {
  const g = new Gauntlet(params);
  for (let w = 0; w < 40; w++) {
    const results = [
      { uid: 1, s: lossScore({ beforeOwn: 4, afterOwn: 3.5, beforeRandom: 4, afterRandom: 3.7 }) },
      { uid: 2, s: lossScore({ beforeOwn: 4, afterOwn: 3.8, beforeRandom: 4, afterRandom: 3.9 }) },
      { uid: 3, s: lossScore({ beforeOwn: 4, afterOwn: 4.1, beforeRandom: 4, afterRandom: 3.95 }) }, // only helps random data
    ];
    for (const r of results) g.recordEvaluation(r.uid, w, r.s, r.uid === 2 ? 0.5 : 1);
    g.rateWindow(results.map((r) => ({ uid: r.uid, gradientScore: r.s.gradientScore })));
  }
  assert.ok(g.ordinal(1) > g.ordinal(2) && g.ordinal(2) > g.ordinal(3));
  assert.ok(g.peer(1).binaryMA > 0.8);
  assert.ok(g.peer(3).binaryMA < -0.8);
  close(g.peer(1).final, g.ordinal(1) * g.peer(1).binaryMA * 1, 1e-9);
  close(g.peer(2).final, g.ordinal(2) * g.peer(2).binaryMA * 0.5, 1e-9);
  assert.equal(g.peer(3).final, 0); // negative indicator MA earns nothing
  const before = g.peer(1).final;
  g.penalise(1, 'missing');
  close(g.peer(1).final, before * 0.75, 1e-9);
  g.penalise(1, 'gather_missing', { gatherSuccessRate: 0.2 });
  assert.equal(g.peer(1).final, 0);
  g.penalise(2, 'copy_max');
  assert.equal(g.peer(2).final, 0);
  assert.equal(g.peer(2).mu, 25); // reset to a fresh rating
  // state survives a restart
  const again = new Gauntlet(params, JSON.parse(JSON.stringify(g.state())));
  assert.deepEqual(again.state(), g.state());
});

test('weights: gather peers on a 2→1 linear profile, reserve halving and capped, sum 1', () => {
  const g = new Gauntlet(params, {
    peers: [10, 9, 8, 7, 6, 5, 0].map((f, i) => ({ uid: i, mu: 25, sigma: 1, binaryMA: 1, sync: 1, final: f, lastEvaluated: 0, inactiveWindows: 0, waiting: 1 })),
  });
  const w = g.weights();
  assert.deepEqual([...w.keys()], [0, 1, 2, 3, 4]); // uid 5 beyond gather+reserve, uid 6 has score 0
  close([...w.values()].reduce((s, v) => s + v, 0), 1, 1e-12);
  close(w.get(0)! / w.get(2)!, 2, 1e-12);
  assert.ok(w.get(3)! <= w.get(2)! * 0.5 + 1e-12);
  assert.ok(w.get(4)! <= w.get(3)!); // here both reserve weights hit the cap
  assert.equal(new Gauntlet(params).weights().size, 0);
});

test('evaluation rotation: with many candidates, everyone is evaluated within a few windows', () => {
  const g = new Gauntlet(params);
  const rng = new SplitMix64(7n);
  const rand = () => Number(rng.next() >> 11n) / 2 ** 53;
  const candidates = Array.from({ length: 12 }, (_, i) => i);
  const seen = new Set<number>();
  for (let w = 0; w < 8; w++) for (const u of g.selectForEvaluation(candidates, 3, rand)) seen.add(u);
  assert.equal(seen.size, 12);
  assert.deepEqual(g.selectForEvaluation([1, 2], 5, rand).sort(), [1, 2]);
});
