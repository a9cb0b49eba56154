// The signed SparseLoCo payload (docs/payload-format.md is the contract). Writing: serialise the
// header and the packed sections, sign everything with the hotkey (sr25519), append the 64-byte
// signature. Reading trusts nothing: every length, count, shape, parameter and index is checked
// against the file's own size and the caller's expectations (run manifest, window, uid, hotkey)
// before anything is allocated, and every failure is a PayloadRejection with a stable reason code.
import { createHash } from 'node:crypto';
import { LocoError } from '../errors.js';
import { crypto, sign, type Keypair } from '../wallet/keypair.js';
import {
  BitReader,
  bestRice,
  indexWidth,
  packCodes,
  packIndicesPlain,
  packIndicesRice,
  unpackCodes,
} from './bits.js';
import { MAX_CHUNK, dequantLevels, kFor, layoutFor, type CodecParams, type EncodedTensor, type Layout, type PeerTensor } from './sparseloco.js';

export const MAGIC = 0x4c50534c; // "LSPL" read as a little-endian u32
export const FORMAT_VERSION = 1;
export const FIXED_HEADER = 92;
export const SIGNATURE_BYTES = 64;
export const MAX_NAME = 128;
export const MAX_RICE = 16;

export const CODING = { plain: 0, rice: 1, dense: 2 } as const;
export type IndexCoding = keyof typeof CODING;
const CODING_NAMES: IndexCoding[] = ['plain', 'rice', 'dense'];

/** Every way a payload can be refused. The strings are stable (scripts and validators match them). */
export const REJECT_REASONS = [
  'too_large',
  'truncated',
  'bad_magic',
  'unsupported_version',
  'bad_header',
  'too_many_tensors',
  'duplicate_tensor',
  'unexpected_tensor',
  'missing_tensor',
  'shape_mismatch',
  'too_many_elements',
  'bad_chunking',
  'bad_k',
  'bad_index_coding',
  'non_finite_param',
  'bad_param',
  'length_mismatch',
  'index_out_of_range',
  'duplicate_index',
  'unsorted_indices',
  'bad_padding',
  'manifest_mismatch',
  'wrong_window',
  'wrong_uid',
  'wrong_signer',
  'bad_signature',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export class PayloadRejection extends LocoError {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super('invalidInput', `payload rejected (${reason}): ${message}`, { reason });
    this.reason = reason;
  }
}

const rej = (reason: RejectReason, message: string) => new PayloadRejection(reason, message);

export interface PayloadMeta {
  /** 32-byte SHA-256 of the run manifest file */
  manifestHash: Uint8Array;
  window: number;
  uid: number;
}

export interface EncodeOptions {
  /** 'rice' (default): Rice-coded gaps, parameter chosen per tensor; 'plain': fixed ⌈log2 len⌉ bits. */
  indexCoding?: 'rice' | 'plain';
}

interface Section {
  t: EncodedTensor;
  coding: IndexCoding;
  rice: number;
  idx: Uint8Array;
  codes: Uint8Array;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Serialise everything the signature covers (the payload minus its last 64 bytes). */
export function serializeUnsigned(meta: PayloadMeta, hotkey: Uint8Array, tensors: readonly EncodedTensor[], opts: EncodeOptions = {}): Uint8Array {
  if (meta.manifestHash.length !== 32) throw new LocoError('invalidInput', 'manifest hash must be 32 bytes');
  if (hotkey.length !== 32) throw new LocoError('invalidInput', 'hotkey public key must be 32 bytes');
  if (!Number.isSafeInteger(meta.window) || meta.window < 0) throw new LocoError('invalidInput', `bad window ${meta.window}`);
  if (!Number.isInteger(meta.uid) || meta.uid < 0 || meta.uid > 0xffffffff) throw new LocoError('invalidInput', `bad uid ${meta.uid}`);
  const sections: Section[] = tensors.map((t) => {
    if (!NAME_RE.test(t.name)) throw new LocoError('invalidInput', `tensor name ${JSON.stringify(t.name)} is not 1–128 of [A-Za-z0-9._-]`);
    const L = t.layout;
    let coding: IndexCoding;
    let rice = 0;
    let idx: Uint8Array;
    if (L.k === L.len) {
      coding = 'dense';
      idx = new Uint8Array(0);
    } else if (opts.indexCoding === 'plain') {
      coding = 'plain';
      idx = packIndicesPlain(t.indices, indexWidth(L.len));
    } else {
      coding = 'rice';
      rice = bestRice(t.indices, L.k, Math.min(MAX_RICE, indexWidth(L.len))).r;
      idx = packIndicesRice(t.indices, L.k, rice);
    }
    return { t, coding, rice, idx, codes: packCodes(t.codes) };
  });
  let headerLen = FIXED_HEADER;
  const names = sections.map((s) => Buffer.from(s.t.name, 'ascii'));
  sections.forEach((s, i) => {
    headerLen += 1 + names[i].length + 1 + 4 * s.t.shape.length + 4 + 4 + 2 + 24 + 8;
  });
  let total = headerLen;
  for (const s of sections) total += s.idx.length + s.codes.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, 0, true);
  out.set(meta.manifestHash, 8);
  dv.setUint32(40, meta.window % 2 ** 32, true);
  dv.setUint32(44, Math.floor(meta.window / 2 ** 32), true);
  dv.setUint32(48, meta.uid, true);
  out.set(hotkey, 52);
  dv.setUint32(84, sections.length, true);
  dv.setUint32(88, headerLen, true);
  let o = FIXED_HEADER;
  sections.forEach((s, i) => {
    const t = s.t;
    out[o++] = names[i].length;
    out.set(names[i], o);
    o += names[i].length;
    out[o++] = t.shape.length;
    for (const d of t.shape) {
      dv.setUint32(o, d, true);
      o += 4;
    }
    dv.setUint16(o, t.layout.c1, true);
    dv.setUint16(o + 2, t.layout.c2, true);
    dv.setUint32(o + 4, t.layout.k, true);
    out[o + 8] = CODING[s.coding];
    out[o + 9] = s.rice;
    o += 10;
    dv.setFloat32(o, t.shift, true);
    dv.setFloat32(o + 4, t.sigma, true);
    for (let c = 0; c < 4; c++) dv.setFloat32(o + 8 + 4 * c, t.lut[c], true);
    o += 24;
    dv.setUint32(o, s.idx.length, true);
    dv.setUint32(o + 4, s.codes.length, true);
    o += 8;
  });
  for (const s of sections) {
    out.set(s.idx, o);
    o += s.idx.length;
    out.set(s.codes, o);
    o += s.codes.length;
  }
  return out;
}

/**
 * The message the hotkey signs: the SHA-256 digest of every byte before the signature (as
 * Substrate signs the blake2-256 of long payloads). Hashing natively first keeps verification of a
 * multi-megabyte payload at a few milliseconds instead of an sr25519 transcript over all of it.
 */
export function signingMessage(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(body).digest());
}

/** Sign serialised bytes with the hotkey and append the signature: the complete payload. */
export async function signPayload(body: Uint8Array, hotkey: Keypair): Promise<Uint8Array> {
  const sig = await sign(hotkey, signingMessage(body));
  const out = new Uint8Array(body.length + SIGNATURE_BYTES);
  out.set(body, 0);
  out.set(sig, body.length);
  return out;
}

/** Serialise and sign with the hotkey: the complete payload. */
export async function encodePayload(meta: PayloadMeta, tensors: readonly EncodedTensor[], hotkey: Keypair, opts: EncodeOptions = {}): Promise<Uint8Array> {
  return signPayload(serializeUnsigned(meta, hotkey.publicKey, tensors, opts), hotkey);
}

// --- decoding -------------------------------------------------------------------------------

export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
}

export interface DecodeOptions {
  /** Refuse files larger than this (default 4 GiB − 1). */
  maxBytes?: number;
  /** Refuse more tensors than this (default 65536; the expected list's length when given). */
  maxTensors?: number;
  /** Refuse a tensor with more elements than this (default 2^34). */
  maxNumel?: number;
  expect?: {
    manifestHash?: Uint8Array;
    window?: number;
    uid?: number;
    /** 32-byte public key; the header's hotkey must equal it */
    hotkey?: Uint8Array;
    /** names and shapes in order (the run manifest's model); then the count and order are fixed */
    tensors?: readonly ExpectedTensor[];
    /** the run's codec settings; then chunking and k are fixed */
    codec?: CodecParams;
  };
  /** Verify the sr25519 signature (default true; decodePayloadUnverified never does). */
  verifySignature?: boolean;
}

export interface PayloadHeader {
  version: number;
  manifestHash: Uint8Array;
  window: number;
  uid: number;
  hotkey: Uint8Array;
  tensorCount: number;
  headerBytes: number;
}

export interface DecodedTensor extends PeerTensor {
  name: string;
  shape: number[];
  coding: IndexCoding;
  rice: number;
  sigma: number;
  lut: Float32Array;
  indexBytes: number;
  codeBytes: number;
}

export interface DecodedPayload {
  header: PayloadHeader;
  tensors: DecodedTensor[];
  sizes: { total: number; header: number; indices: number; codes: number; signature: number; denseFp32: number };
  /** true when the signature was checked and holds */
  signatureVerified: boolean;
}

class Cursor {
  readonly dv: DataView;
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly what: RejectReason,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw rej(this.what, `header ends inside a field at byte ${this.pos} (needs ${n} more, ${this.end - this.pos} left)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
}

const eqBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Rec {
  t: DecodedTensor;
  len: number;
  nChunks: number;
}

/**
 * Parse and check everything except the signature. Synchronous; the cost and every allocation
 * are bounded by the file's size (and the caller's limits), never by what the header claims.
 */
export function decodePayloadUnverified(buf: Uint8Array, opts: DecodeOptions = {}): DecodedPayload {
  const maxBytes = opts.maxBytes ?? 2 ** 32 - 1;
  const exp = opts.expect ?? {};
  if (buf.length > maxBytes) throw rej('too_large', `${buf.length} bytes is over the limit of ${maxBytes}`);
  if (buf.length < 4) throw rej('truncated', `${buf.length} bytes is shorter than the magic number`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw rej('bad_magic', 'not a loco SparseLoCo payload (magic is not "LSPL")');
  if (buf.length < 6) throw rej('truncated', 'ends inside the format version');
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw rej('unsupported_version', `format version ${version} (this loco reads version ${FORMAT_VERSION})`);
  if (buf.length < FIXED_HEADER + SIGNATURE_BYTES) throw rej('truncated', `${buf.length} bytes is shorter than the fixed header and signature (${FIXED_HEADER + SIGNATURE_BYTES})`);
  if (dv.getUint16(6, true) !== 0) throw rej('bad_header', 'reserved flags are not zero');
  const manifestHash = buf.slice(8, 40);
  const wlo = dv.getUint32(40, true);
  const whi = dv.getUint32(44, true);
  if (whi >= 2 ** 21) throw rej('bad_header', 'window is beyond 2^53');
  const window = whi * 2 ** 32 + wlo;
  const uid = dv.getUint32(48, true);
  const hotkey = buf.slice(52, 84);
  const tensorCount = dv.getUint32(84, true);
  const headerBytes = dv.getUint32(88, true);
  const header: PayloadHeader = { version, manifestHash, window, uid, hotkey, tensorCount, headerBytes };

  if (exp.manifestHash && !eqBytes(exp.manifestHash, manifestHash)) {
    throw rej('manifest_mismatch', `payload is for run manifest ${hex(manifestHash)}, expected ${hex(exp.manifestHash)}`);
  }
  if (exp.window !== undefined && exp.window !== window) throw rej('wrong_window', `payload is for window ${window}, expected ${exp.window}`);
  if (exp.uid !== undefined && exp.uid !== uid) throw rej('wrong_uid', `payload is from uid ${uid}, expected ${exp.uid}`);
  if (exp.hotkey && !eqBytes(exp.hotkey, hotkey)) throw rej('wrong_signer', `payload names hotkey 0x${hex(hotkey)}, expected 0x${hex(exp.hotkey)}`);

  const body = buf.length - SIGNATURE_BYTES;
  if (headerBytes < FIXED_HEADER) throw rej('bad_header', `header length ${headerBytes} is shorter than the fixed header`);
  if (headerBytes > body) throw rej('truncated', `header claims ${headerBytes} bytes but only ${body} precede the signature`);
  const expected = exp.tensors;
  const maxTensors = expected ? expected.length : (opts.maxTensors ?? 65536);
  if (expected && tensorCount < expected.length) throw rej('missing_tensor', `${tensorCount} tensors, the model has ${expected.length}`);
  if (tensorCount > maxTensors) throw rej(expected ? 'unexpected_tensor' : 'too_many_tensors', `${tensorCount} tensors, at most ${maxTensors} allowed`);
  // Each record takes at least 46 bytes, so the count is also bounded by the declared header.
  if (tensorCount * 46 > headerBytes - FIXED_HEADER) throw rej('bad_header', `${tensorCount} tensors cannot fit in a ${headerBytes}-byte header`);
  const maxNumel = opts.maxNumel ?? 2 ** 34;

  const cur = new Cursor(buf, FIXED_HEADER, headerBytes, 'bad_header');
  const recs: Rec[] = [];
  const seen = new Set<string>();
  let sectionTotal = 0;
  for (let i = 0; i < tensorCount; i++) {
    const nameLen = cur.u8();
    if (nameLen < 1 || nameLen > MAX_NAME) throw rej('bad_header', `tensor ${i}: name length ${nameLen}`);
    cur.need(nameLen);
    const nameBytes = buf.subarray(cur.pos, cur.pos + nameLen);
    cur.pos += nameLen;
    for (const b of nameBytes) {
      const ok = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 46 || b === 95 || b === 45;
      if (!ok) throw rej('bad_header', `tensor ${i}: name has a byte 0x${b.toString(16)} outside [A-Za-z0-9._-]`);
    }
    const name = Buffer.from(nameBytes).toString('ascii');
    if (expected) {
      if (expected[i].name !== name) throw rej('unexpected_tensor', `tensor ${i} is "${name}", expected "${expected[i].name}"`);
    } else if (seen.has(name)) throw rej('duplicate_tensor', `tensor "${name}" appears twice`);
    seen.add(name);
    const rank = cur.u8();
    if (rank !== 1 && rank !== 2) throw rej('bad_header', `${name}: rank ${rank} (1 or 2 expected)`);
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) shape.push(cur.u32());
    if (shape.some((d) => d < 1)) throw rej('bad_header', `${name}: zero dimension in shape [${shape}]`);
    if (expected && (expected[i].shape.length !== rank || expected[i].shape.some((d, j) => d !== shape[j]))) {
      throw rej('shape_mismatch', `${name}: shape [${shape}], expected [${expected[i].shape}]`);
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel > maxNumel) throw rej('too_many_elements', `${name}: ${numel} elements, at most ${maxNumel} allowed`);
    const c1 = cur.u16();
    const c2 = cur.u16();
    const k = cur.u32();
    const codingByte = cur.u8();
    const rice = cur.u8();
    const rows = rank === 1 ? 1 : shape[0];
    const cols = rank === 1 ? shape[0] : shape[1];
    if (c1 < 1 || c2 < 1 || c1 > MAX_CHUNK || c2 > MAX_CHUNK || rows % c1 !== 0 || cols % c2 !== 0 || (rank === 1 && c1 !== 1)) {
      throw rej('bad_chunking', `${name}: chunk ${c1}×${c2} does not tile shape [${shape}]`);
    }
    const len = c1 * c2;
    if (exp.codec) {
      const L = layoutFor(shape, exp.codec);
      if (L.c1 !== c1 || L.c2 !== c2) throw rej('bad_chunking', `${name}: chunk ${c1}×${c2}, the run uses ${L.c1}×${L.c2}`);
      const kk = kFor(shape, c1, c2, exp.codec);
      if (k !== kk) throw rej('bad_k', `${name}: k = ${k}, the run uses ${kk}`);
    }
    if (k < 1 || k > len) throw rej('bad_k', `${name}: k = ${k} for chunks of ${len}`);
    const coding = CODING_NAMES[codingByte];
    if (coding === undefined) throw rej('bad_index_coding', `${name}: unknown index coding ${codingByte}`);
    if ((coding === 'dense') !== (k === len)) throw rej('bad_index_coding', `${name}: coding ${coding} with k = ${k} of ${len}`);
    if (coding === 'rice' ? rice > Math.min(MAX_RICE, indexWidth(len)) : rice !== 0) throw rej('bad_index_coding', `${name}: Rice parameter ${rice}`);
    const shift = cur.f32();
    const sigma = cur.f32();
    const lut = new Float32Array(4);
    for (let c = 0; c < 4; c++) lut[c] = cur.f32();
    if (!Number.isFinite(shift) || !Number.isFinite(sigma) || !lut.every(Number.isFinite)) throw rej('non_finite_param', `${name}: NaN or infinite quantisation parameter`);
    if (sigma < 0) throw rej('bad_param', `${name}: negative sigma ${sigma}`);
    if (!dequantLevels(shift, lut).every(Number.isFinite)) throw rej('non_finite_param', `${name}: a dequantised level overflows fp32`);
    const indexBytes = cur.u32();
    const codeBytes = cur.u32();
    const nChunks = numel / len;
    const n = nChunks * k;
    if (codeBytes !== Math.ceil(n / 4)) throw rej('length_mismatch', `${name}: code section is ${codeBytes} bytes, ${n} codes need ${Math.ceil(n / 4)}`);
    const w = indexWidth(len);
    if (coding === 'dense' && indexBytes !== 0) throw rej('length_mismatch', `${name}: dense tensor with a ${indexBytes}-byte index section`);
    if (coding === 'plain' && indexBytes !== Math.ceil((n * w) / 8)) throw rej('length_mismatch', `${name}: index section is ${indexBytes} bytes, ${n}×${w} bits need ${Math.ceil((n * w) / 8)}`);
    if (coding === 'rice') {
      const lo = Math.ceil((n * (rice + 1)) / 8);
      const hi = Math.ceil((nChunks * (k * (rice + 1) + Math.floor((len - k) / 2 ** rice))) / 8);
      if (indexBytes < lo || indexBytes > hi) throw rej('length_mismatch', `${name}: Rice index section is ${indexBytes} bytes, outside ${lo}…${hi}`);
    }
    sectionTotal += indexBytes + codeBytes;
    const layout: Layout = { rows, cols, c1, c2, len, nChunks, perRow: cols / c2, k, numel };
    recs.push({
      t: { name, shape, layout, coding, rice, shift, sigma, lut, indexBytes, codeBytes, indices: new Uint16Array(0), codes: new Uint8Array(0) },
      len,
      nChunks,
    });
  }
  if (cur.pos !== headerBytes) throw rej('bad_header', `tensor records end at byte ${cur.pos}, header length says ${headerBytes}`);
  if (headerBytes + sectionTotal > body) throw rej('truncated', `sections need ${sectionTotal} bytes, ${body - headerBytes} present`);
  if (headerBytes + sectionTotal < body) throw rej('length_mismatch', `${body - headerBytes - sectionTotal} bytes after the last section`);

  // Sections. Sizes are now known to lie inside the file, so allocations are bounded by it.
  let pos = headerBytes;
  let idxTotal = 0;
  let codeTotal = 0;
  let dense = 0;
  for (const { t, len, nChunks } of recs) {
    const k = t.layout.k;
    const n = nChunks * k;
    t.indices = decodeIndices(buf, pos, t, len, nChunks);
    pos += t.indexBytes;
    const codes = unpackCodes(buf, pos, n);
    if (n % 4 !== 0 && buf[pos + t.codeBytes - 1] >> ((n % 4) * 2) !== 0) throw rej('bad_padding', `${t.name}: non-zero padding bits after the last code`);
    t.codes = codes;
    pos += t.codeBytes;
    idxTotal += t.indexBytes;
    codeTotal += t.codeBytes;
    dense += 4 * t.layout.numel;
  }
  return {
    header,
    tensors: recs.map((r) => r.t),
    sizes: { total: buf.length, header: headerBytes, indices: idxTotal, codes: codeTotal, signature: SIGNATURE_BYTES, denseFp32: dense },
    signatureVerified: false,
  };
}

function decodeIndices(buf: Uint8Array, pos: number, t: DecodedTensor, len: number, nChunks: number): Uint16Array {
  const k = t.layout.k;
  const out = new Uint16Array(nChunks * k);
  if (t.coding === 'dense') {
    for (let ch = 0; ch < nChunks; ch++) for (let j = 0; j < k; j++) out[ch * k + j] = j;
    return out;
  }
  const rd = new BitReader(buf, pos, pos + t.indexBytes);
  if (t.coding === 'plain') {
    const w = indexWidth(len);
    for (let ch = 0; ch < nChunks; ch++) {
      let prev = -1;
      for (let j = ch * k, end = j + k; j < end; j++) {
        const v = rd.read(w);
        if (v >= len) throw rej('index_out_of_range', `${t.name}: chunk ${ch} index ${v} ≥ ${len}`);
        if (v === prev) throw rej('duplicate_index', `${t.name}: chunk ${ch} has index ${v} twice`);
        if (v < prev) throw rej('unsorted_indices', `${t.name}: chunk ${ch} indices are not ascending`);
        out[j] = v;
        prev = v;
      }
    }
  } else {
    const r = t.rice;
    const maxQ = (len - 1) >>> r;
    for (let ch = 0; ch < nChunks; ch++) {
      let prev = -1;
      for (let j = ch * k, end = j + k; j < end; j++) {
        const q = rd.unary(maxQ);
        if (rd.overrun) throw rej('length_mismatch', `${t.name}: index section ends inside chunk ${ch}`);
        if (q > maxQ) throw rej('index_out_of_range', `${t.name}: chunk ${ch} gap is beyond the chunk`);
        const g = q * 2 ** r + rd.read(r);
        if (rd.overrun) throw rej('length_mismatch', `${t.name}: index section ends inside chunk ${ch}`);
        const v = prev + 1 + g;
        if (v >= len) throw rej('index_out_of_range', `${t.name}: chunk ${ch} index ${v} ≥ ${len}`);
        out[j] = v;
        prev = v;
      }
    }
  }
  if (rd.bitsLeft() >= 8) throw rej('length_mismatch', `${t.name}: ${Math.floor(rd.bitsLeft() / 8)} unused bytes at the end of the index section`);
  if (!rd.restIsZero()) throw rej('bad_padding', `${t.name}: non-zero padding bits after the last index`);
  return out;
}

/** Full decode: structure, expectations, then the sr25519 signature by the header's hotkey. */
export async function decodePayload(buf: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedPayload> {
  const p = decodePayloadUnverified(buf, opts);
  if (opts.verifySignature === false) return p;
  await verifyPayloadSignature(buf, p.header.hotkey);
  p.signatureVerified = true;
  return p;
}

export async function verifyPayloadSignature(buf: Uint8Array, hotkey: Uint8Array): Promise<void> {
  const { sr25519Verify } = await crypto();
  const body = buf.subarray(0, buf.length - SIGNATURE_BYTES);
  const sig = buf.subarray(buf.length - SIGNATURE_BYTES);
  let ok = false;
  try {
    ok = sr25519Verify(signingMessage(body), sig, hotkey);
  } catch {
    ok = false; // e.g. the public key is not a valid point
  }
  if (!ok) throw rej('bad_signature', `the signature does not verify for hotkey 0x${hex(hotkey)}`);
}

/** The fixed header fields, when the first 92 bytes parse (for reporting a rejected payload). */
export function peekHeader(buf: Uint8Array): PayloadHeader | null {
  if (buf.length < FIXED_HEADER) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) return null;
  return {
    version: dv.getUint16(4, true),
    manifestHash: buf.slice(8, 40),
    window: dv.getUint32(44, true) * 2 ** 32 + dv.getUint32(40, true),
    uid: dv.getUint32(48, true),
    hotkey: buf.slice(52, 84),
    tensorCount: dv.getUint32(84, true),
    headerBytes: dv.getUint32(88, true),
  };
}
