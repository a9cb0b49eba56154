import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import {
  SplitMix64, assignedSamples, defaultManifest, drawFrom, keys, parseGradientKey, parseManifest, sampleDigest,
  serializeManifest, uploadTiming, verifyManifestHash, windowOf, blocksUntilNextWindow,
} from '../src/protocol/index.js';
import { parseCodecManifest } from '../src/codec/manifest.js';

test('SplitMix64 matches the published reference outputs for seed 0', () => {
  const r = new SplitMix64(0n);
  assert.deepEqual([r.next(), r.next(), r.next()], [0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn]);
});

test('data assignment: deterministic, disjoint across miners in a window, different across windows', () => {
  const p = { manifestHash: createHash('sha256').update('m').digest(), numSamples: 5000, samplesPerWindow: 240 };
  const a = assignedSamples(p, 7, 3);
  assert.deepEqual(assignedSamples(p, 7, 3), a);
  assert.equal(a.length, 240);
  assert.equal(new Set(a).size, 240);
  assert.ok(a.every((x) => Number.isInteger(x) && x >= 0 && x < 5000));
  const seen = new Set<number>();
  for (let uid = 0; uid < 20; uid++) for (const id of assignedSamples(p, 7, uid)) {
    assert.equal(seen.has(id), false, `uid ${uid} overlaps`);
    seen.add(id);
  }
  const other = assignedSamples(p, 8, 3);
  assert.ok(other.filter((x) => a.includes(x)).length < 40, 'another window draws a fresh sample');
  // more miners than slices: uid wraps onto the same slice (documented)
  assert.deepEqual(assignedSamples(p, 7, 3 + Math.floor(5000 / 240)), a);
  assert.throws(() => assignedSamples({ ...p, samplesPerWindow: 6000 }, 1, 0), /needs 6000/);
});

test('data assignment is portable: an independent Python implementation gives the same ids', () => {
  const h = createHash('sha256').update('portable').digest();
  for (const [n, k, w, uid] of [[1000, 30, 0, 0], [123457, 240, 98765, 17], [50, 50, 3, 9]]) {
    const py = spawnSync('python3', [join(ROOT, 'test', 'py', 'assignment.py'), h.toString('hex'), String(n), String(k), String(w), String(uid)], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(py.stdout.trim().split(' ').map(Number), assignedSamples({ manifestHash: h, numSamples: n, samplesPerWindow: k }, w, uid));
  }
});

test('below() is unbiased enough: 60k draws over 6 buckets stay within 3% of uniform', () => {
  const r = new SplitMix64(42n);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.below(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 300, String(counts));
});

test('drawFrom picks distinct members of the pool, reproducibly from the nonce', () => {
  const pool = Array.from({ length: 100 }, (_, i) => 1000 + i);
  const nonce = Buffer.from('validator-nonce');
  const d = drawFrom(pool, 8, nonce, 5, 2);
  assert.equal(new Set(d).size, 8);
  assert.ok(d.every((x) => pool.includes(x)));
  assert.deepEqual(drawFrom(pool, 8, nonce, 5, 2), d);
  assert.notDeepEqual(drawFrom(pool, 8, Buffer.from('other'), 5, 2), d);
  assert.equal(sampleDigest([3, 1, 2]), sampleDigest([1, 2, 3]));
});

test('run manifest: canonical bytes, hash, strict validation, readable by the codec', () => {
  const m = defaultManifest({ name: 'demo', model: 'tiny' });
  const bytes = serializeManifest(m);
  const loaded = parseManifest(bytes);
  assert.equal(loaded.hashHex, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(loaded.runId, loaded.hashHex.slice(0, 16));
  assert.equal(loaded.model.d_model, 64);
  verifyManifestHash(loaded, `0x${loaded.hashHex}`);
  assert.throws(() => verifyManifestHash(loaded, '00'.repeat(32)), /does not match/);
  const codec = parseCodecManifest(bytes);
  assert.deepEqual(Buffer.from(codec.hash), Buffer.from(loaded.hash));
  assert.equal(codec.codec.topk, 64);

  const bad = (mutate: (o: any) => void, re: RegExp) => {
    const o = JSON.parse(Buffer.from(bytes).toString());
    mutate(o);
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify(o))), re);
  };
  bad((o) => (o.version = 2), /version 2 is not supported/);
  bad((o) => (o.train.lr = -1), /train\.lr: -1 is out of range/);
  bad((o) => (o.train.batch = 6), /multiple of micro_batch/);
  bad((o) => (o.sparseloco.bits = 4), /only 2-bit/);
  bad((o) => (o.extra = 1), /unknown field "extra"/);
  bad((o) => (o.window.surprise = 1), /window: unknown field "surprise"/);
  bad((o) => (o.model = 'huge'), /unknown model config|huge/);
  bad((o) => delete o.peers, /peers: must be an object/);
  assert.throws(() => parseManifest(Buffer.from('{not json')), /not JSON/);
});

test('window clock and upload timing from chain timestamps', () => {
  assert.equal(windowOf(0, 10), 0);
  assert.equal(windowOf(29, 10), 2);
  assert.equal(blocksUntilNextWindow(29, 10), 1);
  assert.equal(blocksUntilNextWindow(30, 10), 10);
  const t0 = new Date('2026-11-26T10:00:00.400Z');
  assert.equal(uploadTiming(new Date('2026-11-26T09:59:59.000Z'), t0, 70), 'too_early');
  assert.equal(uploadTiming(new Date('2026-11-26T10:00:00.000Z'), t0, 70), 'on_time'); // same second (S3 resolution)
  assert.equal(uploadTiming(new Date('2026-11-26T10:01:10.000Z'), t0, 70), 'on_time');
  assert.equal(uploadTiming(new Date('2026-11-26T10:01:11.000Z'), t0, 70), 'too_late');
});

test('object keys: per run, zero-padded windows, parseable', () => {
  const run = 'abcdef0123456789';
  const k = keys.gradient(run, 42, 7);
  assert.equal(k, 'abcdef0123456789/gradient/0000000042/7.lpl');
  assert.ok(k.startsWith(keys.gradientPrefix(run, 42)));
  assert.deepEqual(parseGradientKey(run, k), { window: 42, uid: 7 });
  assert.equal(parseGradientKey(run, 'abcdef0123456789/gradient/0000000042/70000.lpl'), null);
  assert.equal(parseGradientKey('ffffffffffffffff', k), null);
  assert.throws(() => keys.gradient(run, -1, 0), /window -1/);
});
