// Weights as the official SDK puts them on chain (bittensor/utils/weight_utils.py,
// convert_weights_and_uids_for_emit), and the hash that commit_weights carries
// (subtensor weights.rs::get_commit_hash = SDK generate_weight_hash).
import { blake2AsU8a } from '@polkadot/util-crypto';
import { LocoError } from '../errors.js';

export const U16_MAX = 65535;

/** Python's round(): to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface EmitWeights {
  uids: number[];
  values: number[];
}

/**
 * SDK normalisation: reject negative weights/uids and length mismatches; all-zero → nothing to
 * send; otherwise scale so the largest weight is 65535 (w / max · 65535, rounded half to even) and
 * drop the uids whose value rounds to 0.
 */
export function normaliseWeights(uids: readonly number[], weights: readonly number[]): EmitWeights {
  if (uids.length !== weights.length) {
    throw new LocoError('invalidInput', `uids and weights must have the same length (got ${uids.length} uids, ${weights.length} weights)`);
  }
  for (const u of uids) {
    if (!Number.isInteger(u) || u < 0 || u > U16_MAX) throw new LocoError('invalidInput', `uid ${u} is not a valid uid (an integer 0…65535)`);
  }
  for (const w of weights) {
    if (!Number.isFinite(w)) throw new LocoError('invalidInput', `weight ${w} is not a finite number`);
    if (w < 0) throw new LocoError('invalidInput', `weight ${w} is negative; negative weights cannot exist on chain`);
  }
  if (uids.length === 0) return { uids: [], values: [] };
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return { uids: [], values: [] };
  const max = Math.max(...weights);
  const out: EmitWeights = { uids: [], values: [] };
  for (let i = 0; i < uids.length; i++) {
    const v = roundHalfEven((weights[i] / max) * U16_MAX);
    if (v !== 0) {
      out.uids.push(uids[i]);
      out.values.push(v);
    }
  }
  return out;
}

// ---------- SCALE by hand (tiny and fixed; keeps the hash independent of any registry) ----------

function compactLen(n: number): Uint8Array {
  if (n < 1 << 6) return Uint8Array.of(n << 2);
  if (n < 1 << 14) return Uint8Array.of(((n << 2) | 1) & 0xff, (n >> 6) & 0xff);
  if (n < 1 << 30) {
    const v = (n << 2) | 2;
    return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  throw new LocoError('invalidInput', 'vector too long');
}
const u16le = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}
function vecU16(xs: readonly number[]): Uint8Array[] {
  return [compactLen(xs.length), ...xs.map(u16le)];
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface CommitInput {
  /** The hotkey's 32-byte public key (the account that commits and reveals). */
  hotkey: Uint8Array;
  /** netuid_index = mecid·4096 + netuid; the plain netuid for mechanism 0. */
  netuid: number;
  uids: readonly number[];
  values: readonly number[];
  salt: readonly number[];
  versionKey: bigint;
}

/** blake2_256(SCALE((AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64))) as 0x-hex. */
export function commitHash(c: CommitInput): string {
  if (c.hotkey.length !== 32) throw new LocoError('invalidInput', 'hotkey public key must be 32 bytes');
  const bytes = concat([c.hotkey, u16le(c.netuid), ...vecU16(c.uids), ...vecU16(c.values), ...vecU16(c.salt), u64le(c.versionKey)]);
  return `0x${Buffer.from(blake2AsU8a(bytes, 256)).toString('hex')}`;
}

/** btcli's salt: 8 random u16. */
export function randomSalt(n = 8): number[] {
  const b = new Uint16Array(n);
  globalThis.crypto.getRandomValues(b);
  return [...b];
}

/** "1,2, 3" → [1,2,3] (numbers; integers where `int`). */
export function parseNumberList(text: string, what: string, int: boolean): number[] {
  const parts = String(text).split(/[,\s]+/).filter(Boolean);
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v) || (int && !Number.isInteger(v))) {
      throw new LocoError('invalidInput', `${what}: "${p}" is not ${int ? 'an integer' : 'a number'}`);
    }
    return v;
  });
}
