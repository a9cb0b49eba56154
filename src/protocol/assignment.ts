// Deterministic data assignment (DESIGN contract 5). Anyone who knows the run manifest can
// recompute which samples a miner had to train on in a window, so a validator's "own data" batch
// really comes from the miner's assignment. The algorithm is specified bit-exactly in
// docs/protocol.md so other implementations (C++, Python) can reproduce it:
//
//   seed  = first 8 bytes, little-endian, of SHA-256(domain ‖ manifest hash ‖ u64le(window) [‖ …])
//   PRNG  = SplitMix64 over that seed
//   below(n) = unbiased integer in [0, n): draw x; reject while x ≥ 2^64 − (2^64 mod n); return x mod n
//   perm  = the virtual array [0, N) shuffled by Fisher–Yates from the front:
//           for i = 0, 1, …: j = i + below(N − i); swap(a[i], a[j]); a[i] is the i-th element
//
// A window's permutation is shared by all miners; miner `uid` takes the slice
// [s·k, (s+1)·k) with s = uid mod floor(N / k), so miners in one window train on disjoint data
// (until there are more miners than slices).
import { createHash } from 'node:crypto';
import { LocoError } from '../errors.js';

const MASK64 = (1n << 64n) - 1n;

export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint) {
    this.state = seed & MASK64;
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** Unbiased integer in [0, n), n ≥ 1 (rejection sampling on 64-bit draws). */
  below(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`below(${n})`);
    const N = BigInt(n);
    const limit = (1n << 64n) - ((1n << 64n) % N);
    for (;;) {
      const x = this.next();
      if (x < limit) return Number(x % N);
    }
  }
}

function u64le(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** seed = first 8 bytes (LE) of SHA-256(domain ‖ parts…). */
export function deriveSeed(domain: string, ...parts: Uint8Array[]): bigint {
  const h = createHash('sha256').update(domain, 'utf8');
  for (const p of parts) h.update(p);
  return h.digest().readBigUInt64LE(0);
}

/** The first `count` elements of a seeded Fisher–Yates permutation of [0, n). O(count) memory. */
export function permutationPrefix(rng: SplitMix64, n: number, count: number): number[] {
  if (count > n) throw new LocoError('invalidInput', `cannot draw ${count} distinct samples from ${n}`);
  const swapped = new Map<number, number>();
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const j = i + rng.below(n - i);
    const ai = swapped.get(i) ?? i;
    const aj = swapped.get(j) ?? j;
    swapped.set(j, ai);
    out[i] = aj;
  }
  return out;
}

export interface AssignmentParams {
  manifestHash: Uint8Array; // 32 bytes
  numSamples: number; // N: samples in the training split (docs/data.md sample ids)
  samplesPerWindow: number; // k = inner_steps × batch
}

export const ASSIGN_DOMAIN = 'loco/assign/v1';
export const DRAW_DOMAIN = 'loco/draw/v1';

/** The sample ids miner `uid` trains on in `window`, in training order. */
export function assignedSamples(p: AssignmentParams, window: number, uid: number): number[] {
  const { numSamples: n, samplesPerWindow: k } = p;
  if (!Number.isSafeInteger(uid) || uid < 0 || uid > 0xffff) throw new LocoError('invalidInput', `uid ${uid} out of range`);
  if (k < 1 || k > n) throw new LocoError('invalidInput', `the data set has ${n} samples; a window needs ${k}`);
  const slices = Math.floor(n / k);
  const s = uid % slices;
  const rng = new SplitMix64(deriveSeed(ASSIGN_DOMAIN, p.manifestHash, u64le(window)));
  return permutationPrefix(rng, n, (s + 1) * k).slice(s * k);
}

/**
 * `count` distinct elements of `pool`, chosen by a seed derived from `nonce` (e.g. a validator's
 * per-window random bytes, published afterwards so the draw can be audited).
 */
export function drawFrom(pool: readonly number[], count: number, nonce: Uint8Array, window: number, uid: number): number[] {
  const rng = new SplitMix64(deriveSeed(DRAW_DOMAIN, nonce, u64le(window), u32le(uid)));
  return permutationPrefix(rng, pool.length, Math.min(count, pool.length)).map((i) => pool[i]);
}

/** A digest of an assignment (as Templar's sample receipt): SHA-256 over the sorted ids as u64le. */
export function sampleDigest(ids: readonly number[]): string {
  const h = createHash('sha256');
  for (const id of [...ids].sort((a, b) => a - b)) h.update(u64le(id));
  return h.digest('hex');
}
