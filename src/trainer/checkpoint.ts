// The checkpoint file (docs/checkpoint.md): "LOCOCKPT", uint32 version, uint32 header_len, JSON
// header, zero padding to a 64-byte boundary, then fp32 LE tensors in the canonical order of
// docs/model.md (then AdamW m and v when the optimiser state is present).
//
// Tensors are read one by one into their own Float32Arrays, so files far above Node's 2 GiB
// Buffer limit (the 1b config with its optimiser state is ~11 GB) load fine.
import { fstatSync, readSync } from 'node:fs';
import { LocoError } from '../errors.js';
import { writeFileAtomicWith } from '../util/atomic.js';
import { withReadFd } from '../util/read-fd.js';
import { paramSpecs, validateConfig, type ModelConfig, type ParamSpec } from './configs.js';

export const CKPT_MAGIC = 'LOCOCKPT';
export const CKPT_VERSION = 1;
export const CKPT_ALIGN = 64;
const PREFIX_BYTES = 16;

export interface OptimizerInfo {
  type: 'adamw';
  step: number;
}

export interface Checkpoint {
  config: ModelConfig;
  /** Inner optimiser steps taken so far. */
  step: number;
  /** Last completed window, or null. */
  window: number | null;
  seed: number | string | null;
  /** Parameters in canonical order (paramSpecs(config)). */
  params: Float32Array[];
  optimizer: OptimizerInfo | null;
  /** AdamW first and second moments, canonical order; present exactly when optimizer is not null. */
  adam?: { m: Float32Array[]; v: Float32Array[] };
}

export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

export interface CheckpointHeader {
  format: 'loco-checkpoint';
  version: number;
  config: ModelConfig;
  step: number;
  window: number | null;
  seed: number | string | null;
  tensors: TensorEntry[];
  optimizer: OptimizerInfo | null;
}

/** The tensors a checkpoint of this config holds: parameters, then adam_m.*, adam_v.* when with optimiser. */
export function checkpointTensorSpecs(config: ModelConfig, withOptimizer: boolean): ParamSpec[] {
  const p = paramSpecs(config);
  if (!withOptimizer) return p;
  return [...p, ...p.map((s) => ({ ...s, name: `adam_m.${s.name}` })), ...p.map((s) => ({ ...s, name: `adam_v.${s.name}` }))];
}

function dataStart(headerLen: number): number {
  return Math.ceil((PREFIX_BYTES + headerLen) / CKPT_ALIGN) * CKPT_ALIGN;
}

/** Build the header and prefix bytes (magic, version, length, JSON, padding) for a checkpoint. */
function encodePrefix(ck: Checkpoint): { prefix: Buffer; tensors: Float32Array[]; total: number } {
  const config = validateConfig(ck.config, 'checkpoint config');
  const withOpt = ck.optimizer !== null;
  const specs = checkpointTensorSpecs(config, withOpt);
  const tensors = [...ck.params];
  if (withOpt) {
    if (!ck.adam) throw new LocoError('invalidInput', 'checkpoint: optimizer is set but the AdamW moments are missing');
    tensors.push(...ck.adam.m, ...ck.adam.v);
  }
  if (tensors.length !== specs.length) {
    throw new LocoError('invalidInput', `checkpoint: expected ${specs.length} tensors for this config, got ${tensors.length}`);
  }
  let off = 0;
  const entries: TensorEntry[] = specs.map((s, i) => {
    if (tensors[i]!.length !== s.numel) {
      throw new LocoError('invalidInput', `checkpoint: tensor ${s.name} has ${tensors[i]!.length} values, shape [${s.shape}] needs ${s.numel}`);
    }
    const e = { name: s.name, shape: s.shape, offset: off };
    off += 4 * s.numel;
    return e;
  });
  const header: CheckpointHeader = {
    format: 'loco-checkpoint',
    version: CKPT_VERSION,
    config,
    step: ck.step,
    window: ck.window,
    seed: ck.seed,
    tensors: entries,
    optimizer: ck.optimizer ? { type: 'adamw', step: ck.optimizer.step } : null,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = dataStart(json.length);
  const prefix = Buffer.alloc(start);
  prefix.write(CKPT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CKPT_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  json.copy(prefix, PREFIX_BYTES);
  return { prefix, tensors, total: start + off };
}

function le(t: Float32Array): Uint8Array {
  // The host is little-endian on every platform Node ships for that we support; keep a guard.
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serialise to one buffer (small models, tests, payloads). */
export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  if (!LITTLE_ENDIAN) throw new LocoError('unsupported', 'checkpoints need a little-endian host');
  const { prefix, tensors, total } = encodePrefix(ck);
  const out = new Uint8Array(total);
  out.set(prefix, 0);
  let pos = prefix.length;
  for (const t of tensors) {
    out.set(le(t), pos);
    pos += t.byteLength;
  }
  return out;
}

/** Write a checkpoint atomically: temp file in the same folder, fsync, rename (streams tensor by tensor). */
export function writeCheckpoint(path: string, ck: Checkpoint): void {
  if (!LITTLE_ENDIAN) throw new LocoError('unsupported', 'checkpoints need a little-endian host');
  const { prefix, tensors } = encodePrefix(ck);
  writeFileAtomicWith(path, (write) => {
    write(prefix);
    const CHUNK = 1 << 26; // 64 MiB per write call
    for (const t of tensors) {
      const b = le(t);
      for (let o = 0; o < b.length; o += CHUNK) write(b.subarray(o, Math.min(b.length, o + CHUNK)));
    }
  });
}

/** Read source: a file descriptor or an in-memory buffer, behind one interface. */
interface Source {
  size: number;
  read(buf: Uint8Array, position: number): void;
}

function parseHeader(src: Source, what: string): { header: CheckpointHeader; specs: ParamSpec[]; start: number } {
  if (src.size < PREFIX_BYTES) throw new LocoError('invalidInput', `${what}: truncated checkpoint (${src.size} bytes, shorter than the 16-byte prefix)`);
  const pre = new Uint8Array(PREFIX_BYTES);
  src.read(pre, 0);
  const magic = Buffer.from(pre.subarray(0, 8)).toString('latin1');
  if (magic !== CKPT_MAGIC) throw new LocoError('invalidInput', `${what}: not a loco checkpoint (bad magic ${JSON.stringify(magic)}, expected "${CKPT_MAGIC}")`);
  const dv = new DataView(pre.buffer);
  const version = dv.getUint32(8, true);
  if (version !== CKPT_VERSION) throw new LocoError('unsupported', `${what}: unsupported checkpoint version ${version} (this loco reads version ${CKPT_VERSION})`);
  const headerLen = dv.getUint32(12, true);
  if (PREFIX_BYTES + headerLen > src.size) {
    throw new LocoError('invalidInput', `${what}: truncated checkpoint (header of ${headerLen} bytes runs past the end of the ${src.size}-byte file)`);
  }
  if (headerLen > 64 * 1024 * 1024) throw new LocoError('invalidInput', `${what}: header length ${headerLen} is implausibly large`);
  const hb = new Uint8Array(headerLen);
  src.read(hb, PREFIX_BYTES);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
  } catch (e) {
    throw new LocoError('invalidInput', `${what}: checkpoint header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LocoError('invalidInput', `${what}: checkpoint header is not a JSON object`);
  const h = raw as Record<string, unknown>;
  if (h.format !== 'loco-checkpoint') throw new LocoError('invalidInput', `${what}: header format is ${JSON.stringify(h.format)}, expected "loco-checkpoint"`);
  if (h.version !== CKPT_VERSION) throw new LocoError('unsupported', `${what}: header version ${JSON.stringify(h.version)} is not ${CKPT_VERSION}`);
  const config = validateConfig(h.config, `${what}: header config`);
  if (typeof h.step !== 'number' || !Number.isSafeInteger(h.step) || h.step < 0) {
    throw new LocoError('invalidInput', `${what}: header "step" must be a non-negative integer`);
  }
  if (h.window !== null && (typeof h.window !== 'number' || !Number.isSafeInteger(h.window) || h.window < 0)) {
    throw new LocoError('invalidInput', `${what}: header "window" must be a non-negative integer or null`);
  }
  const seed = h.seed === undefined ? null : h.seed;
  if (seed !== null && typeof seed !== 'number' && typeof seed !== 'string') throw new LocoError('invalidInput', `${what}: header "seed" must be a number, string or null`);
  let optimizer: OptimizerInfo | null = null;
  if (h.optimizer !== null && h.optimizer !== undefined) {
    const o = h.optimizer as Record<string, unknown>;
    if (typeof o !== 'object' || o.type !== 'adamw' || typeof o.step !== 'number' || !Number.isSafeInteger(o.step) || o.step < 0) {
      throw new LocoError('invalidInput', `${what}: header "optimizer" must be null or {"type":"adamw","step":N}`);
    }
    optimizer = { type: 'adamw', step: o.step };
  }
  const specs = checkpointTensorSpecs(config, optimizer !== null);
  if (!Array.isArray(h.tensors)) throw new LocoError('invalidInput', `${what}: header "tensors" must be a list`);
  if (h.tensors.length !== specs.length) {
    throw new LocoError(
      'invalidInput',
      `${what}: shape mismatch: header lists ${h.tensors.length} tensors but config ${config.name}${optimizer ? ' with optimiser state' : ''} needs ${specs.length}`,
    );
  }
  let expectOff = 0;
  const tensors: TensorEntry[] = specs.map((s, i) => {
    const e = (h.tensors as unknown[])[i] as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || e.name !== s.name) {
      throw new LocoError('invalidInput', `${what}: tensor ${i} is ${JSON.stringify(e?.name)}, expected "${s.name}" (canonical order, docs/model.md)`);
    }
    if (!Array.isArray(e.shape) || e.shape.length !== s.shape.length || e.shape.some((v, j) => v !== s.shape[j])) {
      throw new LocoError('invalidInput', `${what}: shape mismatch: ${s.name} has shape ${JSON.stringify(e.shape)}, the config needs [${s.shape.join(', ')}]`);
    }
    if (e.offset !== expectOff) {
      throw new LocoError('invalidInput', `${what}: tensor ${s.name} at offset ${JSON.stringify(e.offset)}, expected ${expectOff} (tensors must be contiguous in order)`);
    }
    expectOff += 4 * s.numel;
    return { name: s.name, shape: s.shape, offset: e.offset as number };
  });
  const start = dataStart(headerLen);
  const expectedSize = start + expectOff;
  if (src.size < expectedSize) {
    throw new LocoError('invalidInput', `${what}: truncated checkpoint: ${src.size} bytes, the header needs ${expectedSize}`);
  }
  if (src.size > expectedSize) {
    throw new LocoError('invalidInput', `${what}: trailing bytes: ${src.size - expectedSize} bytes after the last tensor (file ${src.size}, expected ${expectedSize})`);
  }
  const header: CheckpointHeader = {
    format: 'loco-checkpoint',
    version: CKPT_VERSION,
    config,
    step: h.step,
    window: h.window as number | null,
    seed,
    tensors,
    optimizer,
  };
  return { header, specs, start };
}

function readBody(src: Source, what: string, opts: { withOptimizer?: boolean }): Checkpoint {
  if (!LITTLE_ENDIAN) throw new LocoError('unsupported', 'checkpoints need a little-endian host');
  const { header, specs, start } = parseHeader(src, what);
  const nParams = paramSpecs(header.config).length;
  const load = header.optimizer && opts.withOptimizer !== false ? specs.length : nParams;
  const arrays: Float32Array[] = [];
  for (let i = 0; i < load; i++) {
    const t = new Float32Array(specs[i]!.numel);
    src.read(new Uint8Array(t.buffer), start + header.tensors[i]!.offset);
    arrays.push(t);
  }
  const ck: Checkpoint = {
    config: header.config,
    step: header.step,
    window: header.window,
    seed: header.seed,
    params: arrays.slice(0, nParams),
    optimizer: header.optimizer,
  };
  if (load > nParams) ck.adam = { m: arrays.slice(nParams, 2 * nParams), v: arrays.slice(2 * nParams, 3 * nParams) };
  return ck;
}

function bufferSource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    read(buf, position) {
      if (position + buf.length > bytes.length) throw new LocoError('invalidInput', 'truncated checkpoint');
      buf.set(bytes.subarray(position, position + buf.length));
    },
  };
}

function withFile<T>(path: string, fn: (src: Source) => T): T {
  return withReadFd(path, (fd) => {
    const src: Source = {
      size: fstatSync(fd).size,
      read(buf, position) {
        let off = 0;
        while (off < buf.length) {
          const n = readSync(fd, buf, off, Math.min(buf.length - off, 1 << 30), position + off);
          if (n === 0) throw new LocoError('invalidInput', `${path}: truncated checkpoint (end of file at byte ${position + off})`);
          off += n;
        }
      },
    };
    return fn(src);
  });
}

/** Parse a checkpoint held in memory. */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint', opts: { withOptimizer?: boolean } = {}): Checkpoint {
  return readBody(bufferSource(bytes), what, opts);
}

/** Read and validate a checkpoint file. `withOptimizer: false` skips loading the AdamW moments (evaluation). */
export function readCheckpoint(path: string, opts: { withOptimizer?: boolean } = {}): Checkpoint {
  return withFile(path, (src) => readBody(src, path, opts));
}

/** Read and validate only the header (and the file length). */
export function readCheckpointHeader(path: string): CheckpointHeader {
  return withFile(path, (src) => parseHeader(src, path).header);
}

/** Parameters by name (a view; no copies). */
export function paramsByName(ck: Checkpoint): Map<string, Float32Array> {
  const specs = paramSpecs(ck.config);
  return new Map(specs.map((s, i) => [s.name, ck.params[i]!]));
}

/**
 * A random model for tests and tools (NOT the engine's initialisation, which is specified in
 * docs/model.md and lives in kernels/): normal(0, std) matrices from a small seeded PRNG, norm
 * scales 1 + N(0, normJitter).
 */
export function randomCheckpoint(config: ModelConfig, seed: number, opts: { std?: number; normJitter?: number } = {}): Checkpoint {
  const std = opts.std ?? config.init_std;
  const jitter = opts.normJitter ?? 0;
  let s = BigInt.asUintN(64, BigInt(seed));
  const next = (): number => {
    // SplitMix64 → uniform double in (0, 1)
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z = z ^ (z >> 31n);
    return (Number(z >> 11n) + 0.5) / 2 ** 53;
  };
  // BigInt per draw is slow for big tensors; seed a fast xorshift from SplitMix64 instead.
  let a = Math.floor(next() * 2 ** 32) >>> 0 || 1;
  const uni = (): number => {
    a ^= a << 13;
    a >>>= 0;
    a ^= a >>> 17;
    a ^= a << 5;
    a >>>= 0;
    return (a + 0.5) / 2 ** 32;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uni())) * Math.cos(2 * Math.PI * uni());
  const params = paramSpecs(config).map((sp) => {
    const t = new Float32Array(sp.numel);
    if (sp.matrix) for (let i = 0; i < t.length; i++) t[i] = std * normal();
    else for (let i = 0; i < t.length; i++) t[i] = 1 + jitter * normal();
    return t;
  });
  return { config: { ...config }, step: 0, window: null, seed, params, optimizer: null };
}
