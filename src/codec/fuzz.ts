// Payload fuzzer shared by test/payload-fuzz.test.ts (≥ 10,000 cases) and `npm run fuzz` (longer).
// It mutates and truncates valid signed payloads and feeds random bytes to the decoder. A case
// passes when the decoder returns a payload whose invariants hold or throws a PayloadRejection;
// anything else (another exception, a hang, an allocation beyond the limits) is a failure. Every
// mutated payload must also be refused once the signature is checked.
import { mulberry32 } from '../util/random.js';
import { keypairFromSeed, type Keypair } from '../wallet/keypair.js';
import { decodePayload, decodePayloadUnverified, encodePayload, PayloadRejection, type DecodeOptions, type DecodedPayload, type RejectReason } from './payload.js';
import { encodeTensor, errorFeedback, type CodecParams } from './sparseloco.js';

export const FUZZ_CODEC: CodecParams = { topk: 8, chunk: 16, beta: 0.95 };
/** A small model: a matrix, a vector (dense), a prime-sized matrix, a non-power-of-two chunk. */
export const FUZZ_TENSORS = [
  { name: 'embed', shape: [64, 48] },
  { name: 'norm', shape: [48] },
  { name: 'w', shape: [17, 32] },
  { name: 'v', shape: [5] },
];

export interface FuzzCorpus {
  kp: Keypair;
  payloads: Uint8Array[];
  opts: DecodeOptions;
}

export async function makeCorpus(seed = 1): Promise<FuzzCorpus> {
  const r = mulberry32(seed);
  const kp = await keypairFromSeed(new Uint8Array(32).fill(9));
  const manifestHash = new Uint8Array(32).fill(0xab);
  const payloads: Uint8Array[] = [];
  for (const coding of ['rice', 'plain'] as const) {
    for (let v = 0; v < 2; v++) {
      const tensors = FUZZ_TENSORS.map((t) => {
        const n = t.shape.reduce((a, b) => a * b, 1);
        const e = new Float32Array(n);
        const d = new Float32Array(n);
        for (let i = 0; i < n; i++) d[i] = v === 1 && r() < 0.5 ? 0 : (r() - 0.5) * 1e-2;
        errorFeedback(e, d, FUZZ_CODEC.beta);
        return encodeTensor(t.name, t.shape, e, FUZZ_CODEC);
      });
      payloads.push(await encodePayload({ manifestHash, window: 1234 + v, uid: 7 }, tensors, kp, { indexCoding: coding }));
    }
  }
  const opts: DecodeOptions = { maxBytes: 1 << 16, expect: { manifestHash, tensors: FUZZ_TENSORS, codec: FUZZ_CODEC } };
  return { kp, payloads, opts };
}

const EXTREMES = [0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x7f800000, 0x7fc00000, 0xff800000];

/** One mutated (or random) input; `kind` names the mutation. */
export function mutate(r: () => number, corpus: FuzzCorpus): { bytes: Uint8Array; kind: string } {
  const base = corpus.payloads[Math.floor(r() * corpus.payloads.length)];
  const pick = Math.floor(r() * 9);
  const b = Uint8Array.from(base);
  const at = (lim = b.length) => Math.floor(r() * lim);
  switch (pick) {
    case 0: {
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) b[at()] ^= 1 + Math.floor(r() * 255);
      return { bytes: b, kind: 'byte-flip' };
    }
    case 1: {
      const i = at();
      b[i] ^= 1 << Math.floor(r() * 8);
      return { bytes: b, kind: 'bit-flip' };
    }
    case 2:
      return { bytes: b.slice(0, at(b.length)), kind: 'truncate' };
    case 3: {
      // a header field (within the first 200 bytes) set to an extreme u32 / f32 pattern
      const off = at(Math.min(b.length - 4, 200));
      const v = EXTREMES[Math.floor(r() * EXTREMES.length)];
      new DataView(b.buffer).setUint32(off, v >>> 0, true);
      return { bytes: b, kind: 'extreme-u32' };
    }
    case 4: {
      const i = at();
      const n = 1 + Math.floor(r() * 16);
      const ins = new Uint8Array(n).map(() => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, i));
      out.set(ins, i);
      out.set(b.subarray(i), i + n);
      return { bytes: out, kind: 'insert' };
    }
    case 5: {
      const i = at();
      const n = 1 + Math.floor(r() * 16);
      const out = new Uint8Array(Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + n))]));
      return { bytes: out, kind: 'delete' };
    }
    case 6: {
      const other = corpus.payloads[Math.floor(r() * corpus.payloads.length)];
      const i = at();
      const out = new Uint8Array(i + other.length - Math.min(other.length, i));
      out.set(b.subarray(0, i));
      out.set(other.subarray(Math.min(other.length, i)), i);
      return { bytes: out, kind: 'splice' };
    }
    case 7: {
      const n = Math.floor(r() * 600);
      const out = new Uint8Array(n).map(() => Math.floor(r() * 256));
      if (n >= 8 && r() < 0.7) out.set(b.subarray(0, Math.min(n, 8 + Math.floor(r() * 200)))); // valid-looking start
      return { bytes: out, kind: 'random' };
    }
    default: {
      // a section byte changed (deep decoder paths: indices, codes, padding)
      const start = new DataView(b.buffer).getUint32(88, true);
      if (start < b.length - 64) b[start + at(b.length - 64 - start)] ^= 1 + Math.floor(r() * 255);
      else b[at()] ^= 0xff;
      return { bytes: b, kind: 'section-byte' };
    }
  }
}

export interface FuzzStats {
  cases: number;
  accepted: number;
  rejected: Partial<Record<RejectReason, number>>;
  maxMs: number;
  failures: { kind: string; error: string; hex: string }[];
}

function checkInvariants(p: DecodedPayload): string | null {
  for (const t of p.tensors) {
    const { k, len, nChunks } = t.layout;
    if (t.indices.length !== nChunks * k || t.codes.length !== nChunks * k) return `${t.name}: array lengths`;
    for (let ch = 0; ch < nChunks; ch++) {
      let prev = -1;
      for (let j = ch * k; j < ch * k + k; j++) {
        if (t.indices[j] <= prev || t.indices[j] >= len) return `${t.name}: bad index survived`;
        if (t.codes[j] > 3) return `${t.name}: bad code survived`;
        prev = t.indices[j];
      }
    }
    if (!Number.isFinite(t.shift) || !t.lut.every(Number.isFinite)) return `${t.name}: non-finite survived`;
  }
  return null;
}

/**
 * Run `cases` cases. Structural decoding runs on every case (with and without the run's
 * expectations); every `verifyEvery`-th case also runs the full signed decode, which must refuse
 * any input that differs from the original payload.
 */
export async function runFuzz(cases: number, seed: number, corpus?: FuzzCorpus, verifyEvery = 10): Promise<FuzzStats> {
  const c = corpus ?? (await makeCorpus(seed));
  const r = mulberry32(seed ^ 0x9e3779b9);
  const stats: FuzzStats = { cases: 0, accepted: 0, rejected: {}, maxMs: 0, failures: [] };
  const originals = new Set(c.payloads.map((p) => Buffer.from(p).toString('base64')));
  for (let i = 0; i < cases; i++) {
    const { bytes, kind } = mutate(r, c);
    const fail = (error: string) => {
      if (stats.failures.length < 20) stats.failures.push({ kind, error, hex: Buffer.from(bytes.subarray(0, 256)).toString('hex') });
    };
    const t0 = performance.now();
    for (const opts of [c.opts, { maxBytes: 1 << 16 }]) {
      try {
        const p = decodePayloadUnverified(bytes, opts);
        const bad = checkInvariants(p);
        if (bad) fail(bad);
        else stats.accepted++;
      } catch (e) {
        if (e instanceof PayloadRejection) stats.rejected[e.reason] = (stats.rejected[e.reason] ?? 0) + 1;
        else fail(`unexpected ${(e as Error)?.stack ?? String(e)}`);
      }
    }
    if (i % verifyEvery === 0) {
      const same = originals.has(Buffer.from(bytes).toString('base64'));
      try {
        await decodePayload(bytes, c.opts);
        if (!same) fail('a modified payload passed the signature check');
      } catch (e) {
        if (!(e instanceof PayloadRejection)) fail(`unexpected (signed) ${(e as Error)?.stack ?? String(e)}`);
        else if (same) fail(`the original payload was refused: ${e.message}`);
      }
    }
    const ms = performance.now() - t0;
    if (ms > stats.maxMs) stats.maxMs = ms;
    stats.cases++;
  }
  return stats;
}
