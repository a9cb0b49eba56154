// The native codec (kernels/build/loco-codec) and the TypeScript reference agree bit for bit on
// indices, codes, quantisation parameters, the error-feedback buffer and the aggregate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAggregate, nativeCodec, nativeEncode } from '../src/codec/native.js';
import { aggregateTensor, encodeTensor, errorFeedback, layoutFor, type CodecParams } from '../src/codec/sparseloco.js';
import { mulberry32 } from '../src/util/random.js';
import { treeCancelVector, treeMidVector } from './helpers/codec-tree.js';

const rng = mulberry32;
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

type Gen = 'gauss' | 'ties' | 'zeros' | 'sparse' | 'signedZero' | 'constant' | 'heavy' | 'treeCancel' | 'treeMid';
function fill(n: number, kind: Gen, r: () => number): Float32Array {
  // vectors of n/64 chunks whose shift / lut[2] depend on the summation order (test/helpers/codec-tree.ts)
  if (kind === 'treeCancel') return treeCancelVector(n / 64);
  if (kind === 'treeMid') return treeMidVector(n / 64);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'gauss': a[i] = gauss(r) * 1e-3; break;
      case 'ties': a[i] = (Math.floor(r() * 5) - 2) * 0.25; break; // −0.5 … 0.5, five values
      case 'zeros': a[i] = 0; break;
      case 'sparse': a[i] = r() < 0.01 ? gauss(r) : 0; break;
      case 'signedZero': a[i] = r() < 0.5 ? -0 : r() < 0.9 ? 0 : 1; break;
      case 'constant': a[i] = 0.125; break;
      case 'heavy': a[i] = gauss(r) * (r() < 0.001 ? 1e4 : 1e-4); break;
    }
  }
  return a;
}

const bitsEq = (a: number, b: number) => new Uint32Array(new Float32Array([a]).buffer)[0] === new Uint32Array(new Float32Array([b]).buffer)[0];
function assertF32ArrayBits(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: differs at ${i}: ${a[i]} vs ${b[i]}`);
}

const bin = nativeCodec();

test('native codec builds', { skip: bin ? false : 'make -C kernels build/loco-codec failed (no g++?)' }, () => {
  assert.ok(bin);
});

const CASES: { shape: number[]; kind: Gen; p: CodecParams; ef: boolean }[] = [];
const P0: CodecParams = { topk: 64, chunk: 64, beta: 0.95 };
for (const kind of ['gauss', 'ties', 'zeros', 'sparse', 'signedZero', 'constant', 'heavy'] as Gen[]) {
  CASES.push({ shape: [128, 192], kind, p: P0, ef: kind === 'gauss' || kind === 'ties' });
}
CASES.push({ shape: [176, 64], kind: 'gauss', p: P0, ef: true }); // c1 = 44 (tiny's d_ff)
CASES.push({ shape: [64, 688], kind: 'ties', p: P0, ef: true }); // c2 = 43 (small's d_ff)
CASES.push({ shape: [67, 130], kind: 'gauss', p: P0, ef: false }); // prime rows → c1 = 1; c2 = 26
CASES.push({ shape: [100], kind: 'gauss', p: P0, ef: true }); // 1-D, c = 50, dense
CASES.push({ shape: [4096], kind: 'ties', p: P0, ef: false }); // 1-D, 64 chunks of 64, dense
CASES.push({ shape: [1], kind: 'gauss', p: P0, ef: false }); // a single value
CASES.push({ shape: [96, 96], kind: 'ties', p: { topk: 5, chunk: 32, beta: 0.9 }, ef: true });
CASES.push({ shape: [256, 256], kind: 'heavy', p: { topk: 1, chunk: 64, beta: 0.5 }, ef: true });
// the 32-ary summation tree over chunk sums (docs/sparseloco.md): 32 chunks (one group), 33 (two
// levels, a last group of one), 1024 (two full levels), 1025 and 1089 (three levels), 4160 and
// 66,048 chunks (four levels: 66048 → 2064 → 65 → 3 → 1)
CASES.push({ shape: [2048], kind: 'gauss', p: P0, ef: true }); // 32 chunks of 64
CASES.push({ shape: [2112], kind: 'heavy', p: P0, ef: true }); // 33 chunks of 64
const P8: CodecParams = { topk: 2, chunk: 8, beta: 0.9 };
CASES.push({ shape: [256, 256], kind: 'gauss', p: P8, ef: true }); // 32×32 chunks of 8×8
CASES.push({ shape: [8, 8200], kind: 'heavy', p: P8, ef: true }); // 1×1025
CASES.push({ shape: [264, 264], kind: 'sparse', p: P8, ef: true }); // 33×33
CASES.push({ shape: [512, 520], kind: 'ties', p: P8, ef: true }); // 64×65
CASES.push({ shape: [1024, 1032], kind: 'gauss', p: { topk: 1, chunk: 4, beta: 0.95 }, ef: false }); // 256×258 chunks of 4×4
// crafted so that chunk order and the tree give different bits (shift, lut[2]): 34, 48, 1100 chunks
CASES.push({ shape: [64 * 34], kind: 'treeCancel', p: P0, ef: false });
CASES.push({ shape: [64 * 1100], kind: 'treeCancel', p: P0, ef: false });
CASES.push({ shape: [64 * 48], kind: 'treeMid', p: P0, ef: false });
CASES.push({ shape: [64 * 1100], kind: 'treeMid', p: P0, ef: false });

test('TypeScript and native encoders agree bit for bit (indices, codes, quantiser, error feedback)', { skip: !bin }, () => {
  const r = rng(42);
  const inputs = CASES.map((c) => {
    const n = c.shape.reduce((a, b) => a * b, 1);
    return { ...c, e: fill(n, c.ef ? 'gauss' : c.kind, r), delta: fill(n, c.kind, r) };
  });
  // group by params + EF flag (the tool takes one parameter set and one flag per call)
  const groups = new Map<string, typeof inputs>();
  for (const x of inputs) {
    const key = JSON.stringify([x.p, x.ef]);
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  let checked = 0;
  for (const group of groups.values()) {
    const { p, ef } = group[0];
    const nat = nativeEncode(bin!, p, group.map((x) => (ef ? { shape: x.shape, e: x.e, delta: x.delta } : { shape: x.shape, e: x.delta })));
    group.forEach((x, i) => {
      const e = Float32Array.from(ef ? x.e : x.delta);
      if (ef) errorFeedback(e, x.delta, p.beta);
      const ts = encodeTensor('t', x.shape, e, p);
      const n = nat[i];
      const what = `${x.kind} ${JSON.stringify(x.shape)} ${JSON.stringify(p)} ef=${ef}`;
      assert.equal(n.k, ts.layout.k, `${what}: k`);
      assert.equal(n.c1, ts.layout.c1, `${what}: c1`);
      assert.equal(n.c2, ts.layout.c2, `${what}: c2`);
      assert.deepEqual(n.indices, ts.indices, `${what}: indices`);
      assert.deepEqual(n.codes, ts.codes, `${what}: codes`);
      assert.ok(bitsEq(n.shift, ts.shift), `${what}: shift ${n.shift} vs ${ts.shift}`);
      assert.ok(bitsEq(n.sigma, ts.sigma), `${what}: sigma ${n.sigma} vs ${ts.sigma}`);
      assertF32ArrayBits(n.lut, ts.lut, `${what}: lut`);
      assertF32ArrayBits(n.eAfter, e, `${what}: error feedback`);
      checked++;
    });
  }
  assert.equal(checked, CASES.length);
});

test('TypeScript and native aggregates agree bit for bit (median-norm clip, scatter-mean)', { skip: !bin }, () => {
  const r = rng(7);
  const p = P0;
  for (const shape of [[128, 192], [176, 64], [300]]) {
    const L = layoutFor(shape, p);
    const peers = [];
    for (let q = 0; q < 7; q++) {
      const e = fill(L.numel, q === 3 ? 'heavy' : q === 5 ? 'ties' : 'gauss', r);
      peers.push(encodeTensor('t', shape, e, p));
    }
    const ts = aggregateTensor(peers);
    const nat = nativeAggregate(bin!, p, shape, L, peers);
    assertF32ArrayBits(nat, ts, `aggregate ${JSON.stringify(shape)}`);
  }
});
