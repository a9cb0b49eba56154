// The signed payload format (docs/payload-format.md): round trips, sizes, and one test per typed
// rejection reason. Structural mutations are re-signed so that the structural check, not the
// signature, is what refuses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePayload,
  decodePayloadUnverified,
  encodePayload,
  FIXED_HEADER,
  PayloadRejection,
  serializeUnsigned,
  signingMessage,
  type DecodeOptions,
  type RejectReason,
} from '../src/codec/payload.js';
import { aggregateTensor, densify, encodeTensor, errorFeedback, type CodecParams, type EncodedTensor } from '../src/codec/sparseloco.js';
import { parseCodecManifest, expectationsFrom } from '../src/codec/manifest.js';
import { keypairFromSeed, sign } from '../src/wallet/keypair.js';
import { mulberry32 } from '../src/util/random.js';
import { paramSpecs, getConfig } from '../src/trainer/configs.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { loco, tempDir } from './helpers.js';

const P: CodecParams = { topk: 64, chunk: 64, beta: 0.95 };
const kp = await keypairFromSeed(new Uint8Array(32).fill(1));
const other = await keypairFromSeed(new Uint8Array(32).fill(2));
const HASH = new Uint8Array(32).fill(0x5a);
const META = { manifestHash: HASH, window: 4242, uid: 17 };
const SHAPES = [
  { name: 'embed', shape: [256, 128] },
  { name: 'norm', shape: [128] },
  { name: 'odd', shape: [48, 48] }, // chunk 48×48: len 2304, not a power of two
  { name: 'five', shape: [5] }, // 5 codes: padding bits in the last code byte
];

function tensors(seed: number, shapes = SHAPES): EncodedTensor[] {
  const r = mulberry32(seed);
  return shapes.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n).map(() => (r() - 0.5) * 1e-3);
    const e = new Float32Array(n);
    errorFeedback(e, d, P.beta);
    return encodeTensor(s.name, s.shape, e, P);
  });
}

const EXPECT: DecodeOptions = { expect: { manifestHash: HASH, tensors: SHAPES, codec: P, window: 4242, uid: 17, hotkey: kp.publicKey } };

async function resign(body: Uint8Array, key = kp): Promise<Uint8Array> {
  const sig = await sign(key, signingMessage(body));
  const out = new Uint8Array(body.length + 64);
  out.set(body);
  out.set(sig, body.length);
  return out;
}

/** Offsets of each tensor record's fields in a serialised payload. */
function records(buf: Uint8Array) {
  const dv = new DataView(buf.buffer, buf.byteOffset);
  const n = dv.getUint32(84, true);
  const out = [];
  let o = FIXED_HEADER;
  for (let i = 0; i < n; i++) {
    const nameLen = buf[o];
    const rankAt = o + 1 + nameLen;
    const rank = buf[rankAt];
    const dims = rankAt + 1;
    const c1 = dims + 4 * rank;
    const rec = { start: o, rankAt, dims, c1, c2: c1 + 2, k: c1 + 4, coding: c1 + 8, rice: c1 + 9, shift: c1 + 10, sigma: c1 + 14, lut: c1 + 18, idxBytes: c1 + 34, codeBytes: c1 + 38 };
    out.push(rec);
    o = c1 + 42;
  }
  return { dv, recs: out, header: o };
}

async function rejects(buf: Uint8Array, reason: RejectReason, opts: DecodeOptions = EXPECT) {
  await assert.rejects(decodePayload(buf, opts), (e: unknown) => {
    assert.ok(e instanceof PayloadRejection, `not a PayloadRejection: ${e}`);
    assert.equal(e.reason, reason, e.message);
    assert.equal(e.kind, 'invalidInput');
    assert.deepEqual(e.details, { reason });
    return true;
  });
}

/** Serialise (no signature yet), let `patch` change the bytes, then sign. */
async function patched(patch: (b: Uint8Array, dv: DataView, recs: ReturnType<typeof records>['recs']) => void, ts = tensors(1), coding: 'rice' | 'plain' = 'rice') {
  const body = serializeUnsigned(META, kp.publicKey, ts, { indexCoding: coding });
  const { dv, recs } = records(body);
  patch(body, dv, recs);
  return resign(body);
}

test('round trip: indices, codes and quantiser survive; signature verified; expectations met', async () => {
  for (const coding of ['rice', 'plain'] as const) {
    const ts = tensors(3);
    const buf = await encodePayload(META, ts, kp, { indexCoding: coding });
    const p = await decodePayload(buf, EXPECT);
    assert.equal(p.signatureVerified, true);
    assert.equal(p.header.window, 4242);
    assert.equal(p.header.uid, 17);
    assert.deepEqual(p.header.hotkey, kp.publicKey);
    assert.equal(p.tensors.length, ts.length);
    p.tensors.forEach((t, i) => {
      assert.equal(t.name, ts[i].name);
      assert.deepEqual(t.indices, ts[i].indices);
      assert.deepEqual(t.codes, ts[i].codes);
      assert.equal(t.shift, ts[i].shift);
      assert.deepEqual(t.lut, ts[i].lut);
      assert.equal(t.coding, ts[i].layout.k === ts[i].layout.len ? 'dense' : coding);
      assert.deepEqual(densify(t), densify(ts[i]));
    });
    assert.equal(p.sizes.total, buf.length);
    assert.equal(p.sizes.header + p.sizes.indices + p.sizes.codes + 64, buf.length);
  }
});

test('Rice-coded gaps beat 12-bit indices: ≈7.5 bits per index at 64 of 4096', () => {
  const shapes = [{ name: 'm', shape: [512, 512] }];
  const ts = tensors(5, shapes);
  const rice = serializeUnsigned(META, kp.publicKey, ts, { indexCoding: 'rice' });
  const plain = serializeUnsigned(META, kp.publicKey, ts, { indexCoding: 'plain' });
  const d = decodePayloadUnverified(Uint8Array.from([...rice, ...new Uint8Array(64)]));
  const bits = (8 * d.sizes.indices) / (64 * 64);
  assert.ok(bits > 7 && bits < 7.8, `rice bits/index ${bits}`);
  const dp = decodePayloadUnverified(Uint8Array.from([...plain, ...new Uint8Array(64)]));
  assert.equal(dp.sizes.indices, (64 * 64 * 12) / 8);
  // the whole payload: ≥ 200× with Rice, ≥ 146× with plain 12-bit indices (this tensor alone)
  assert.ok((512 * 512 * 4) / (rice.length + 64) > 200);
  assert.ok((512 * 512 * 4) / (plain.length + 64) > 140);
});

test('aggregate of decoded peers equals the aggregate of what they encoded', async () => {
  const peers = [1, 2, 3, 4, 5].map((s) => tensors(s));
  const bufs = await Promise.all(peers.map((ts, q) => encodePayload({ ...META, uid: q }, ts, kp)));
  const dec = await Promise.all(bufs.map((b) => decodePayload(b)));
  for (let i = 0; i < SHAPES.length; i++) {
    assert.deepEqual(aggregateTensor(dec.map((d) => d.tensors[i])), aggregateTensor(peers.map((ts) => ts[i])));
  }
});

test('rejections: expectations (manifest, window, uid, signer) and signatures', async () => {
  const buf = await encodePayload(META, tensors(1), kp);
  await rejects(buf, 'manifest_mismatch', { expect: { manifestHash: new Uint8Array(32) } });
  await rejects(buf, 'wrong_window', { expect: { window: 4243 } });
  await rejects(buf, 'wrong_uid', { expect: { uid: 18 } });
  await rejects(buf, 'wrong_signer', { expect: { hotkey: other.publicKey } });
  // a foreign signature: signed by another key, header names ours
  await rejects(await resign(buf.subarray(0, buf.length - 64), other), 'bad_signature');
  // one flipped bit in a code byte: structurally valid, signature fails
  const flipped = Uint8Array.from(buf);
  flipped[flipped.length - 70] ^= 1;
  await rejects(flipped, 'bad_signature');
  // a flipped signature byte
  const badSig = Uint8Array.from(buf);
  badSig[badSig.length - 1] ^= 0x80;
  await rejects(badSig, 'bad_signature');
  // the header's hotkey replaced by another key's (signed by neither)
  const swapped = Uint8Array.from(buf);
  swapped.set(other.publicKey, 52);
  await rejects(swapped, 'bad_signature', {});
});

test('rejections: framing (magic, version, flags, truncation, trailing bytes, size limit)', async () => {
  const buf = await encodePayload(META, tensors(1), kp);
  await rejects(new Uint8Array(0), 'truncated');
  await rejects(Uint8Array.from([...buf].map((b, i) => (i === 0 ? b ^ 1 : b))), 'bad_magic');
  await rejects(await patched((_b, dv) => dv.setUint16(4, 2, true)), 'unsupported_version');
  await rejects(await patched((_b, dv) => dv.setUint16(6, 1, true)), 'bad_header');
  for (const cut of [5, 91, 100, FIXED_HEADER + 64, buf.length - 65, buf.length - 1]) await rejects(buf.subarray(0, cut), 'truncated');
  const body = buf.subarray(0, buf.length - 64);
  await rejects(await resign(Uint8Array.from([...body, 0])), 'length_mismatch');
  await rejects(buf, 'too_large', { maxBytes: buf.length - 1 });
  await rejects(await patched((_b, dv) => dv.setUint32(88, 10, true)), 'bad_header');
  await rejects(await patched((_b, dv) => dv.setUint32(88, 0xffffffff, true)), 'truncated');
  await rejects(await patched((_b, dv) => dv.setUint32(44, 0xffffffff, true)), 'bad_header'); // window > 2^53
});

test('rejections: tensor table (count, names, shapes, chunking, k, coding, parameters)', async () => {
  await rejects(await patched((_b, dv) => dv.setUint32(84, 3, true)), 'missing_tensor');
  await rejects(await patched((_b, dv) => dv.setUint32(84, 5, true)), 'unexpected_tensor');
  await rejects(await patched((_b, dv) => dv.setUint32(84, 0xffffffff, true)), 'too_many_tensors', {});
  await rejects(await patched((_b, dv) => dv.setUint32(84, 1000, true)), 'bad_header', {});
  await rejects(await patched((b, _dv, r) => (b[r[0].start + 1] = 'f'.charCodeAt(0))), 'unexpected_tensor'); // "fmbed"
  await rejects(await patched((b, _dv, r) => (b[r[0].start + 1] = 0)), 'bad_header'); // NUL in a name
  await rejects(await patched((b, _dv, r) => (b[r[1].start + 1] = 'e'.charCodeAt(0))), 'unexpected_tensor');
  // duplicate names without expectations
  const dupShapes = [{ name: 'a', shape: [8] }, { name: 'a', shape: [8] }];
  await rejects(await resign(serializeUnsigned(META, kp.publicKey, tensors(1, dupShapes))), 'duplicate_tensor', {});
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].dims, 257, true)), 'shape_mismatch');
  await rejects(await patched((b, _dv, r) => (b[r[0].rankAt] = 3)), 'bad_header');
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].dims, 0, true)), 'bad_header', {});
  // a header claiming ~2^64 elements: refused before anything is allocated
  const before = process.memoryUsage().arrayBuffers;
  await rejects(await patched((_b, dv, r) => { dv.setUint32(r[0].dims, 0xffffffff, true); dv.setUint32(r[0].dims + 4, 0xffffffff, true); }), 'too_many_elements', {});
  // gigabytes claimed within the element limit: the code section would not fit in the file
  await rejects(await patched((_b, dv, r) => { dv.setUint32(r[0].dims, 1 << 20, true); dv.setUint32(r[0].dims + 4, 1 << 12, true); }), 'length_mismatch', {});
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation for an absurd header');
  await rejects(await patched((_b, dv, r) => dv.setUint16(r[0].c1, 3, true)), 'bad_chunking', {});
  await rejects(await patched((_b, dv, r) => dv.setUint16(r[0].c1, 32, true)), 'bad_chunking');
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].k, 0, true)), 'bad_k', {});
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].k, 5000, true)), 'bad_k', {});
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].k, 65, true)), 'bad_k');
  await rejects(await patched((b, _dv, r) => (b[r[0].coding] = 7)), 'bad_index_coding');
  await rejects(await patched((b, _dv, r) => (b[r[0].coding] = 2)), 'bad_index_coding'); // dense with k < len
  await rejects(await patched((b, _dv, r) => (b[r[1].coding] = 1)), 'bad_index_coding'); // sparse coding for a dense tensor
  await rejects(await patched((b, _dv, r) => (b[r[0].rice] = 17)), 'bad_index_coding');
  await rejects(await patched((_b, dv, r) => dv.setFloat32(r[0].shift, NaN, true)), 'non_finite_param');
  await rejects(await patched((_b, dv, r) => dv.setFloat32(r[0].lut + 8, Infinity, true)), 'non_finite_param');
  await rejects(await patched((_b, dv, r) => dv.setFloat32(r[0].sigma, -Infinity, true)), 'non_finite_param');
  await rejects(await patched((_b, dv, r) => { dv.setFloat32(r[0].shift, 3e38, true); dv.setFloat32(r[0].lut, 3e38, true); }), 'non_finite_param');
  await rejects(await patched((_b, dv, r) => dv.setFloat32(r[0].sigma, -1, true)), 'bad_param');
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].codeBytes, dv.getUint32(r[0].codeBytes, true) + 1, true)), 'length_mismatch');
  await rejects(await patched((_b, dv, r) => dv.setUint32(r[0].idxBytes, 1, true)), 'length_mismatch');
});

test('rejections: index and code sections (range, duplicates, order, padding, short sections)', async () => {
  // plain coding, tensor "odd": chunks of 2304, 12-bit fields; the first index field set to 4095
  const ts = tensors(1);
  const plainIdx = (b: Uint8Array, dv: DataView, r: ReturnType<typeof records>['recs']) => {
    const h = dv.getUint32(88, true);
    return h + dv.getUint32(r[0].idxBytes, true) + dv.getUint32(r[0].codeBytes, true) + dv.getUint32(r[1].idxBytes, true) + dv.getUint32(r[1].codeBytes, true);
  };
  await rejects(await patched((b, dv, r) => { const o = plainIdx(b, dv, r); b[o] = 0xff; b[o + 1] |= 0x0f; }, ts, 'plain'), 'index_out_of_range');
  const dup = ts.map((t) => ({ ...t, indices: Uint16Array.from(t.indices) }));
  dup[0].indices[1] = dup[0].indices[0];
  await rejects(await resign(serializeUnsigned(META, kp.publicKey, dup, { indexCoding: 'plain' })), 'duplicate_index');
  const uns = ts.map((t) => ({ ...t, indices: Uint16Array.from(t.indices) }));
  [uns[0].indices[0], uns[0].indices[1]] = [uns[0].indices[1], uns[0].indices[0]];
  await rejects(await resign(serializeUnsigned(META, kp.publicKey, uns, { indexCoding: 'plain' })), 'unsorted_indices');
  // Rice: a run of one-bits longer than any gap in the chunk
  await rejects(await patched((b, dv) => { const h = dv.getUint32(88, true); b.fill(0xff, h, h + 40); }, ts, 'rice'), 'index_out_of_range');
  // padding bits after the last code of "five" (5 codes → 2 bytes, 6 spare bits)
  await rejects(await patched((b) => (b[b.length - 1] |= 0x80), ts), 'bad_padding');
  // an index section one byte longer than its content (sizes adjusted so the framing holds)
  const longer = await patched((b, dv, r) => { void b; void dv; void r; }, ts, 'rice');
  const { dv, recs, header } = records(longer);
  const ib = dv.getUint32(recs[0].idxBytes, true);
  const body = new Uint8Array(longer.length - 64 + 1);
  body.set(longer.subarray(0, header + ib));
  body.set(longer.subarray(header + ib, longer.length - 64), header + ib + 1);
  new DataView(body.buffer).setUint32(recs[0].idxBytes, ib + 1, true);
  await rejects(await resign(body), 'length_mismatch');
});

test('run manifest: hash of the exact bytes pins model shapes, chunking and k', async () => {
  const bytes = Buffer.from(JSON.stringify({ model: 'tiny', sparseloco: { topk: 64, chunk: 64, ef_beta: 0.95, bits: 2 } }));
  const m = parseCodecManifest(bytes);
  assert.equal(m.tensors.length, paramSpecs(getConfig('tiny')).length);
  const opts = expectationsFrom(m);
  assert.ok(opts.maxBytes! < (4 * 3_320_128) / 20, `size limit ${opts.maxBytes} is far below the dense model`);
  assert.throws(() => parseCodecManifest(Buffer.from('{"model":"tiny","bits":4}')), /2-bit/);
  assert.throws(() => parseCodecManifest(Buffer.from('nope')), /not JSON/);
  // a full run manifest (docs/protocol.md) is validated by its own module; same hash as it computes
  const full = serializeManifest(defaultManifest({ model: 'small' }));
  const fm = parseCodecManifest(full);
  assert.deepEqual(fm.hash, parseManifest(full).hash);
  assert.equal(fm.model.d_model, 256);
  assert.deepEqual(fm.codec, { topk: 64, chunk: 64, beta: 0.95 });
  const broken = JSON.parse(Buffer.from(full).toString());
  broken.sparseloco.bits = 4;
  assert.throws(() => parseCodecManifest(Buffer.from(JSON.stringify(broken))), /2-bit/);
});

test('CLI: loco payload inspect (valid, --manifest, rejection with exit 6, missing file exit 4)', async () => {
  const dir = tempDir('loco-payload-');
  const manifest = { model: 'tiny', sparseloco: { topk: 64, chunk: 64, ef_beta: 0.95 } };
  const mbytes = Buffer.from(JSON.stringify(manifest));
  const m = parseCodecManifest(mbytes);
  writeFileSync(join(dir, 'manifest.json'), mbytes);
  const r = mulberry32(11);
  const ts = m.tensors.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const e = new Float32Array(n).map(() => r() - 0.5);
    return encodeTensor(s.name, [...s.shape], e, m.codec);
  });
  const buf = await encodePayload({ manifestHash: m.hash, window: 9, uid: 3 }, ts, kp);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'good.bin'), buf);
  const bad = Uint8Array.from(buf);
  bad[bad.length - 100] ^= 4;
  writeFileSync(join(dir, 'bad.bin'), bad);

  const ok = loco(['payload', 'inspect', join(dir, 'good.bin'), '--manifest', join(dir, 'manifest.json'), '--window', '9', '--signer', kp.ss58Address, '--json'], { home: dir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(ok.json.success, true);
  assert.equal(ok.json.data.valid, true);
  assert.equal(ok.json.data.header.uid, 3);
  assert.equal(ok.json.data.header.ss58, kp.ss58Address);
  assert.equal(ok.json.data.checked.signature, true);
  assert.ok(ok.json.data.sizes.ratio > 150, `ratio ${ok.json.data.sizes.ratio}`);
  const human = loco(['payload', 'inspect', join(dir, 'good.bin')], { home: dir });
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^valid$/m);
  assert.match(human.stdout, /ratio/);

  const rej = loco(['payload', 'inspect', join(dir, 'bad.bin'), '--json'], { home: dir });
  assert.equal(rej.code, 6);
  assert.equal(rej.json.success, false);
  assert.equal(rej.json.error.details.reason, 'bad_signature');
  assert.equal(rej.json.error.details.header.window, 9);
  const rejHuman = loco(['payload', 'inspect', join(dir, 'bad.bin')], { home: dir });
  assert.equal(rejHuman.code, 6);
  assert.match(rejHuman.stdout, /rejected\s+bad_signature/);
  assert.match(rejHuman.stderr, /bad_signature/);

  const wrongRun = loco(['payload', 'inspect', join(dir, 'good.bin'), '--manifest', join(dir, 'manifest.json'), '--uid', '4', '--json'], { home: dir });
  assert.equal(wrongRun.code, 6);
  assert.equal(wrongRun.json.error.details.reason, 'wrong_uid');
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...manifest, note: 'another run' }));
  const otherRun = loco(['payload', 'inspect', join(dir, 'good.bin'), '--manifest', join(dir, 'other.json'), '--json'], { home: dir });
  assert.equal(otherRun.json.error.details.reason, 'manifest_mismatch');
  const missing = loco(['payload', 'inspect', join(dir, 'nope.bin'), '--json'], { home: dir });
  assert.equal(missing.code, 4);
});
