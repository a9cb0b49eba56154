// The part of the run manifest (DESIGN contract 4, docs/protocol.md) that the codec needs: its hash (every payload
// carries it), the model (which fixes tensor names and shapes) and the SparseLoCo settings. The
// hash is SHA-256 over the manifest file's exact bytes, so every participant must use the same file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromFsError, LocoError } from '../errors.js';
import { getConfig, paramSpecs, validateConfig, type ModelConfig } from '../trainer/configs.js';
import { checkCodecParams, DEFAULT_CODEC, layoutFor, type CodecParams } from './sparseloco.js';
import type { DecodeOptions, ExpectedTensor } from './payload.js';
import { MANIFEST_FORMAT, validateManifest } from '../protocol/manifest.js';

export interface CodecManifest {
  hash: Uint8Array;
  model: ModelConfig;
  codec: CodecParams;
  tensors: ExpectedTensor[];
}

export function manifestHash(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/**
 * A full run manifest (`"format": "loco-run-manifest"`, docs/protocol.md) is validated strictly by
 * src/protocol/manifest.ts. Anything else is read leniently (tests, benchmarks): `model` (a config name or a full config object) and the SparseLoCo keys, each either at
 * the top level or under `sparseloco`: `topk` (64), `chunk` (64), `ef_beta` (0.95), `bits` (2, the
 * only value this format carries).
 */
export function parseCodecManifest(bytes: Uint8Array, what = 'run manifest'): CodecManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new LocoError('invalidInput', `${what}: not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LocoError('invalidInput', `${what}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  if (o.format === MANIFEST_FORMAT) {
    // a full run manifest (docs/protocol.md): validated strictly by its own module
    const { manifest, model } = validateManifest(raw, what);
    const sl = manifest.sparseloco;
    const codec = checkCodecParams({ topk: sl.topk, chunk: sl.chunk, beta: sl.ef_beta });
    return { hash: manifestHash(bytes), model, codec, tensors: paramSpecs(model).map((s) => ({ name: s.name, shape: s.shape })) };
  }
  const m = o.model;
  const model = typeof m === 'string' ? getConfig(m) : validateConfig(m, `${what}: model`);
  const sub = (typeof o.sparseloco === 'object' && o.sparseloco !== null ? o.sparseloco : {}) as Record<string, unknown>;
  const pick = (k: string, d: number): number => {
    const v = sub[k] ?? o[k] ?? d;
    if (typeof v !== 'number') throw new LocoError('invalidInput', `${what}: "${k}" must be a number`);
    return v;
  };
  const bits = pick('bits', 2);
  if (bits !== 2) throw new LocoError('unsupported', `${what}: bits = ${bits}; payload format 1 carries 2-bit codes only`);
  const codec = checkCodecParams({ topk: pick('topk', DEFAULT_CODEC.topk), chunk: pick('chunk', DEFAULT_CODEC.chunk), beta: pick('ef_beta', DEFAULT_CODEC.beta) });
  return { hash: manifestHash(bytes), model, codec, tensors: paramSpecs(model).map((s) => ({ name: s.name, shape: s.shape })) };
}

export function readCodecManifest(path: string): CodecManifest {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fromFsError(e, path);
  }
  return parseCodecManifest(bytes, path);
}

/** Decode options that pin a payload to the run: manifest hash, model tensors, chunking, k, size. */
export function expectationsFrom(m: CodecManifest): DecodeOptions {
  // Largest payload the format allows for this model: per chunk at most k·17 + len index bits
  // (Rice, any parameter) and 2k code bits, plus a 256-byte allowance per tensor record.
  let bound = 92 + 64;
  for (const t of m.tensors) {
    const L = layoutFor(t.shape, m.codec);
    bound += 256 + 2 + L.nChunks * Math.ceil((L.k * 19 + L.len) / 8);
  }
  return { maxBytes: bound, expect: { manifestHash: m.hash, tensors: m.tensors, codec: m.codec } };
}
