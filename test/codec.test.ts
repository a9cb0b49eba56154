// SparseLoCo reference (src/codec/sparseloco.ts): chunking and k rules, top-k tie-break,
// quantiser, error feedback, median-norm clipping and scatter-mean (docs/sparseloco.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateTensor,
  chunkSide,
  clipScales,
  densify,
  encodeTensor,
  errorFeedback,
  flatIndex,
  kFor,
  layoutFor,
  quantise,
  treeSum,
  DEFAULT_CODEC,
  type CodecParams,
} from '../src/codec/sparseloco.js';
import { paramSpecs, getConfig } from '../src/trainer/configs.js';
import { mulberry32 } from '../src/util/random.js';
import { treeCancelVector, treeMidVector } from './helpers/codec-tree.js';

const P = DEFAULT_CODEC;

test('chunk side: n itself up to 64, else the largest divisor ≤ 64', () => {
  const cases: [number, number][] = [[768, 64], [2048, 64], [5504, 64], [50304, 64], [688, 43], [176, 44], [100, 50], [67, 1], [64, 64], [5, 5], [1, 1], [130, 26]];
  for (const [n, c] of cases) assert.equal(chunkSide(n, 64), c, `c(${n})`);
});

test('k per chunk: 64 of 4096, same density for smaller matrix chunks, vectors dense up to 64', () => {
  assert.equal(kFor([768, 768], 64, 64, P), 64);
  assert.equal(kFor([688, 256], 43, 64, P), 43);
  assert.equal(kFor([176, 64], 44, 64, P), 44);
  assert.equal(kFor([67, 130], 1, 26, P), 1);
  assert.equal(kFor([768], 1, 64, P), 64);
  assert.equal(kFor([100], 1, 50, P), 50);
  assert.equal(kFor([96, 96], 32, 32, { topk: 5, chunk: 32, beta: 0.9 }), 5);
  // every tensor of every named model has a layout; matrices of gpt2-124m and 1b keep 64 of 4096
  for (const name of ['tiny', 'small', 'gpt2-124m', '1b']) {
    for (const s of paramSpecs(getConfig(name))) {
      const L = layoutFor(s.shape, P);
      assert.equal(L.nChunks * L.len, s.numel);
      if (s.shape.length === 2 && (name === 'gpt2-124m' || name === '1b')) assert.deepEqual([L.len, L.k], [4096, 64], `${name} ${s.name}`);
      if (s.shape.length === 1) assert.equal(L.k, L.len, 'vectors go dense');
    }
  }
});

test('chunks tile the tensor: (chunk, local index) ↔ flat offset is a bijection', () => {
  for (const shape of [[128, 192], [176, 64], [67, 130], [100], [12, 10]]) {
    const L = layoutFor(shape, { topk: 4, chunk: 8, beta: 0.9 });
    const seen = new Uint8Array(L.numel);
    for (let ch = 0; ch < L.nChunks; ch++) for (let l = 0; l < L.len; l++) seen[flatIndex(L, ch, l)]++;
    assert.ok(seen.every((x) => x === 1), `shape ${shape}`);
  }
});

test('top-k: larger |v| first regardless of sign, ties to the lower index, −0 = +0', () => {
  const p: CodecParams = { topk: 3, chunk: 8, beta: 0.95 };
  // one chunk of 8
  const e = Float32Array.from([0.5, -2, 1, 2, -0, 0, -1, 0.5]);
  const t = encodeTensor('v', [1, 8], e, p);
  assert.equal(t.layout.k, 1); // ceil(3·8/64) = 1 for a 1×8 matrix chunk
  assert.deepEqual([...t.indices], [1]); // |−2| = |2|: the lower index wins
  const v = Float32Array.from([0.5, -2, 1, 2, -0, 0, -1, 0.5]);
  const t3 = encodeTensor('v', [8], v, p); // vectors: k = min(3, 8)
  assert.deepEqual([...t3.indices], [1, 2, 3]); // −2, 2, then 1 beats −1 (index 2 < 6)
  const z = encodeTensor('z', [8], Float32Array.from([-0, 0, -0, 0, 0, 0, 0, 0]), p);
  assert.deepEqual([...z.indices], [0, 1, 2]);
  assert.throws(() => encodeTensor('n', [8], Float32Array.from([0, NaN, 0, 0, 0, 0, 0, 0]), p), /non-finite/);
  assert.throws(() => encodeTensor('n', [8], Float32Array.from([0, 0, Infinity, 0, 0, 0, 0, 0]), p), /non-finite/);
});

test('quantiser: shift = mean, σ with n−1, four bins of 1.5σ over ±3σ, levels = bin means', () => {
  const q = quantise(Float32Array.from([-4, -2, 2, 4, -10, 0.5]), 1, 6);
  const mean = (-4 - 2 + 2 + 4 - 10 + 0.5) / 6;
  assert.equal(q.shift, Math.fround(mean));
  const xs = [-4, -2, 2, 4, -10, 0.5].map((v) => v - q.shift);
  const sigma = Math.fround(Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / 5));
  assert.equal(q.sigma, sigma);
  const t = 1.5 * sigma;
  const want = xs.map((x) => (x < -t ? 0 : x < 0 ? 1 : x < t ? 2 : 3));
  assert.deepEqual([...q.codes], want);
  for (let c = 0; c < 4; c++) {
    const members = xs.filter((_, i) => want[i] === c);
    assert.equal(q.lut[c], members.length ? Math.fround(members.reduce((a, b) => a + b, 0) / members.length) : 0);
  }
  // all equal: σ = 0, every value in bin 2, reconstructed exactly
  const flat = quantise(Float32Array.from([0.25, 0.25, 0.25]), 1, 3);
  assert.equal(flat.sigma, 0);
  assert.deepEqual([...flat.codes], [2, 2, 2]);
  assert.equal(flat.lut[2] + flat.shift, 0.25);
  // one value
  const one = quantise(Float32Array.from([3]), 1, 1);
  assert.equal(one.sigma, 0);
  assert.equal(one.lut[2] + one.shift, 3);
});

test('chunk sums are combined by the fixed 32-ary tree (groups of 32 left to right, from their first element)', () => {
  const f = (xs: number[]) => treeSum(Float64Array.from(xs));
  assert.equal(treeSum(new Float64Array(0)), 0);
  assert.ok(Object.is(f([-0]), -0), 'a group of one is its element, −0 included');
  assert.equal(f([1, 2, 3]), 6);
  // 33 values: (v0 + … + v31) + v32; 2^53 + 1 + 1 loses both 1s left to right, not when they meet first
  const big = 2 ** 53;
  const xs = new Array(33).fill(0);
  xs[0] = big;
  xs[31] = 1;
  xs[32] = 1;
  assert.equal(f(xs), big); // group 0: 2^53 + 1 = 2^53 (ties to even), then + 1 in the root = 2^53
  const ys = new Array(34).fill(0);
  ys[0] = big;
  ys[32] = 1;
  ys[33] = 1;
  assert.equal(f(ys), big + 2); // group 1 sums to 2 first
  // three levels: 1089 values = 35 groups → 2 → 1, against an explicit evaluation
  const r = mulberry32(11);
  const zs = Array.from({ length: 1089 }, () => (r() - 0.5) * 10 ** Math.floor(r() * 30));
  const lvl = (v: number[]) => {
    const out: number[] = [];
    for (let g = 0; g < v.length; g += 32) out.push(v.slice(g + 1, g + 32).reduce((a, b) => a + b, v[g]));
    return out;
  };
  assert.equal(f(zs), lvl(lvl(lvl(zs)))[0]);
});

test('the quantiser uses the tree order: sums in chunk order would give other bits (crafted vectors)', () => {
  // the previous contract: chunk sums added in chunk order from 0
  const seqQuantise = (v: Float32Array, nc: number, k: number) => {
    const q = quantise(v, nc, k); // codes, to find the levels' members
    let tot = 0;
    for (let ch = 0; ch < nc; ch++) {
      let s = 0;
      for (let j = ch * k; j < ch * k + k; j++) s += v[j];
      tot += s;
    }
    const shift = Math.fround(tot / (nc * k));
    const lsum = [0, 0, 0, 0];
    const lcnt = [0, 0, 0, 0];
    for (let ch = 0; ch < nc; ch++) {
      const s = [0, 0, 0, 0];
      for (let j = ch * k; j < ch * k + k; j++) {
        s[q.codes[j]] += v[j] - shift;
        lcnt[q.codes[j]]++;
      }
      for (let c = 0; c < 4; c++) lsum[c] += s[c];
    }
    return { shift, lut: lsum.map((x, c) => (lcnt[c] ? Math.fround(x / lcnt[c]) : 0)) };
  };
  for (const nc of [34, 1100]) {
    const v = treeCancelVector(nc);
    const t = encodeTensor('c', [v.length], Float32Array.from(v), P);
    assert.equal(t.layout.nChunks, nc);
    assert.equal(t.layout.k, 64);
    // Σv: chunk order keeps the 1s after chunk 32 (nc − 33); the tree loses those of chunks 33…63
    const treeTotal = nc === 34 ? 0 : nc - 2 - 62;
    assert.equal(t.shift, Math.fround(treeTotal / (64 * nc)), `shift, ${nc} chunks`);
    assert.notEqual(seqQuantise(v, nc, 64).shift, t.shift, `chunk order differs, ${nc} chunks`);
  }
  for (const nc of [48, 1100]) {
    const v = treeMidVector(nc);
    const t = encodeTensor('m', [v.length], Float32Array.from(v), P);
    assert.equal(t.shift, 0);
    const m = nc === 48 ? 2048 : 65536;
    let c2 = 0;
    for (const c of t.codes) c2 += c === 2 ? 1 : 0;
    assert.equal(c2, m, 'level 2 holds 2^m values');
    // (1 + 2^-24 + s·2^-54) / 2^m rounds up to the next fp32 above 1/2^m; chunk order gives 1/2^m
    assert.equal(t.lut[2], (1 + 2 ** -23) / m, `lut[2], ${nc} chunks`);
    assert.equal(seqQuantise(v, nc, 64).lut[2], 1 / m);
  }
});

test('error feedback: e ← fl(fl(β·e) + Δ); the sent part is removed from e', () => {
  const e = Float32Array.from([1, -2, 3.3, 0]);
  const d = Float32Array.from([0.1, 0.2, -0.3, 1e-8]);
  const want = [...e].map((x, i) => Math.fround(Math.fround(Math.fround(0.95) * x) + d[i]));
  errorFeedback(e, d, 0.95);
  assert.deepEqual([...e], want);
  // symmetric values: sent = ±3, e keeps the rest
  const v = Float32Array.from([-4, -2, 2, 4]);
  const t = encodeTensor('v', [4], v, { topk: 4, chunk: 64, beta: 0.95 });
  assert.deepEqual([...densify(t)], [-3, -3, 3, 3]);
  assert.deepEqual([...v], [-1, 1, -1, 1]);
});

test('error feedback compensates: over many rounds the sent total tracks the Δ total', () => {
  const r = mulberry32(3);
  const shape = [64, 128];
  const n = 64 * 128;
  const e = new Float32Array(n);
  const sent = new Float64Array(n);
  const total = new Float64Array(n);
  const p: CodecParams = { topk: 64, chunk: 64, beta: 1 };
  for (let round = 0; round < 200; round++) {
    const d = new Float32Array(n).map(() => (r() - 0.45) * 1e-2); // a small constant drift
    d.forEach((x, i) => (total[i] += x));
    errorFeedback(e, d, p.beta);
    const t = encodeTensor('w', shape, e, p);
    densify(t).forEach((x, i) => (sent[i] += x));
  }
  // β = 1: Σ sent + e = Σ Δ (up to fp32 rounding)
  let err = 0;
  let mag = 0;
  for (let i = 0; i < n; i++) {
    err = Math.max(err, Math.abs(sent[i] + e[i] - total[i]));
    mag = Math.max(mag, Math.abs(total[i]));
  }
  assert.ok(err < 1e-4 * Math.max(1, mag), `drift ${err}`);
  // and the drift did get through: the mean sent is close to the mean Δ
  const ms = sent.reduce((a, b) => a + b, 0) / n;
  const mt = total.reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.abs(ms - mt) < 0.2 * Math.abs(mt), `mean sent ${ms} vs Δ ${mt}`);
});

test('aggregate: clip each peer to the median norm, mean over the peers that chose a coordinate', () => {
  const L = layoutFor([8], { topk: 2, chunk: 8, beta: 0.95 });
  const mk = (indices: number[], vals: number[]) => {
    const q = quantise(Float32Array.from(vals), 1, 2);
    return { layout: L, indices: Uint16Array.from(indices), codes: q.codes, shift: q.shift, lut: q.lut };
  };
  const a = mk([0, 1], [1, -1]); // norm √2
  const b = mk([1, 2], [2, -2]); // norm √8
  const c = mk([1, 3], [100, -100]); // norm √20000: clipped to the median (b's)
  const s = clipScales([a, b, c]);
  assert.equal(s[0], 1);
  assert.equal(s[1], 1);
  assert.ok(Math.abs(s[2] - Math.sqrt(8) / Math.sqrt(20000)) < 1e-6);
  const out = aggregateTensor([a, b, c]);
  const deq = (p: ReturnType<typeof mk>, j: number) => Math.fround(p.lut[p.codes[j]] + p.shift);
  const w = (p: ReturnType<typeof mk>, j: number, sc: number) => Math.fround(deq(p, j) * sc);
  assert.equal(out[0], w(a, 0, 1));
  assert.equal(out[1], Math.fround(Math.fround(Math.fround(w(a, 1, 1) + w(b, 0, 1)) + w(c, 0, s[2])) / 3));
  assert.equal(out[2], w(b, 1, 1));
  assert.equal(out[3], w(c, 1, s[2]));
  assert.deepEqual([...out.subarray(4)], [0, 0, 0, 0]);
  // even peer count: the lower median
  const s2 = clipScales([a, b, c, c]);
  assert.ok(Math.abs(s2[2] - Math.sqrt(8) / Math.sqrt(20000)) < 1e-6);
});
