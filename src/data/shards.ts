// Token shards in llm.c's format (docs/data.md): 256 × int32 LE header (magic 20240520,
// version 1, header[2] = token count), then the tokens as uint16 LE. llm.c's own shards
// (FineWeb, TinyStories, …) load unchanged.
//
// Samples: with context length T, sample j of a shard is tokens[j·T, j·T+T+1): inputs are the
// first T, targets the same window shifted by one. A shard of n tokens holds floor((n−1)/T)
// samples, and a global sample id indexes the concatenation of all shards' samples in list order.
import { closeSync, fstatSync, readdirSync, readFileSync, readSync, statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LocoError, fromFsError } from '../errors.js';
import { openForRead, withReadFd } from '../util/read-fd.js';
import { writeFileAtomic } from '../util/atomic.js';

export const SHARD_MAGIC = 20240520;
export const SHARD_VERSION = 1;
export const SHARD_HEADER_INTS = 256;
export const SHARD_HEADER_BYTES = SHARD_HEADER_INTS * 4;
/** The GPT-2 end-of-text token, which separates documents. */
export const EOT_TOKEN = 50256;

/** Bytes of a shard holding `tokens` tokens (llm.c format). */
export function encodeShard(tokens: ArrayLike<number>): Uint8Array {
  const n = tokens.length;
  if (n > 0x7fffffff) throw new LocoError('invalidInput', `shard too large: ${n} tokens (int32 count)`);
  const buf = Buffer.alloc(SHARD_HEADER_BYTES + 2 * n);
  buf.writeInt32LE(SHARD_MAGIC, 0);
  buf.writeInt32LE(SHARD_VERSION, 4);
  buf.writeInt32LE(n, 8);
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw new LocoError('invalidInput', `token ${i} = ${t} does not fit in uint16`);
    buf.writeUInt16LE(t, SHARD_HEADER_BYTES + 2 * i);
  }
  return buf;
}

/** Write a shard atomically (temp file + fsync + rename). */
export function writeShard(path: string, tokens: ArrayLike<number>): void {
  writeFileAtomic(path, encodeShard(tokens));
}

export interface ShardHeader {
  version: number;
  ntokens: number;
}

/** Validate a shard header against the total file size; `what` names the file in errors. */
export function parseShardHeader(header: Uint8Array, fileSize: number, what: string): ShardHeader {
  if (fileSize < SHARD_HEADER_BYTES || header.length < SHARD_HEADER_BYTES) {
    throw new LocoError('invalidInput', `${what}: not a token shard: ${fileSize} bytes is shorter than the ${SHARD_HEADER_BYTES}-byte header`);
  }
  const dv = new DataView(header.buffer, header.byteOffset, SHARD_HEADER_BYTES);
  const magic = dv.getInt32(0, true);
  if (magic !== SHARD_MAGIC) {
    throw new LocoError('invalidInput', `${what}: not a token shard: bad magic ${magic} (expected ${SHARD_MAGIC})`);
  }
  const version = dv.getInt32(4, true);
  if (version !== SHARD_VERSION) {
    throw new LocoError('unsupported', `${what}: unsupported shard version ${version} (only version ${SHARD_VERSION}, uint16 tokens, is supported)`);
  }
  const ntokens = dv.getInt32(8, true);
  if (ntokens < 0) throw new LocoError('invalidInput', `${what}: negative token count ${ntokens} in header`);
  const expected = SHARD_HEADER_BYTES + 2 * ntokens;
  if (fileSize < expected) {
    throw new LocoError(
      'invalidInput',
      `${what}: truncated shard: header says ${ntokens} tokens (${expected} bytes) but the file has ${fileSize} bytes`,
    );
  }
  if (fileSize > expected) {
    throw new LocoError(
      'invalidInput',
      `${what}: token count mismatch: header says ${ntokens} tokens (${expected} bytes) but the file has ${fileSize} bytes`,
    );
  }
  return { version, ntokens };
}

/** Parse a whole shard held in memory; returns its tokens (a copy, aligned). */
export function decodeShard(bytes: Uint8Array, what = 'shard'): Uint16Array {
  const { ntokens } = parseShardHeader(bytes, bytes.length, what);
  const out = new Uint16Array(ntokens);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + SHARD_HEADER_BYTES, 2 * ntokens);
  for (let i = 0; i < ntokens; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

function readExactly(fd: number, buf: Uint8Array, position: number, what: string): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new LocoError('invalidInput', `${what}: truncated (unexpected end of file at byte ${position + off})`);
    off += n;
  }
}

/** Read and validate only the header (cheap even for 200 MB FineWeb shards). */
export function readShardHeader(path: string): ShardHeader {
  return withReadFd(path, (fd) => {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, SHARD_HEADER_BYTES));
    readExactly(fd, head, 0, path);
    return parseShardHeader(head, size, path);
  });
}

/** Read a whole shard, validated. */
export function readShard(path: string): Uint16Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fromFsError(e, path);
  }
  return decodeShard(bytes, path);
}

/** Tokens [offset, offset+count) of a shard, clipped to its length (header validated first). */
export function readTokens(path: string, offset: number, count: number): Uint16Array {
  const { ntokens } = readShardHeader(path);
  const from = Math.max(0, Math.min(offset, ntokens));
  const n = Math.max(0, Math.min(count, ntokens - from));
  const raw = new Uint8Array(2 * n);
  withReadFd(path, (fd) => readExactly(fd, raw, SHARD_HEADER_BYTES + 2 * from, path));
  const dv = new DataView(raw.buffer);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

export function samplesInShard(ntokens: number, T: number): number {
  return ntokens <= 1 ? 0 : Math.floor((ntokens - 1) / T);
}

export interface Batch {
  /** Number of samples. */
  B: number;
  T: number;
  /** [B·T] inputs, row-major. */
  inputs: Uint16Array;
  /** [B·T] targets (inputs shifted by one). */
  targets: Uint16Array;
}

/** An ordered list of shard files viewed as one sequence of (inputs, targets) samples of length T. */
export class ShardSet {
  readonly files: string[];
  readonly T: number;
  readonly ntokens: number[];
  readonly samples: number[];
  /** starts[s] = global id of shard s's first sample. */
  readonly starts: number[];
  readonly numSamples: number;

  constructor(files: string[], T: number) {
    if (!Number.isInteger(T) || T < 1) throw new LocoError('usage', `sequence length must be a positive integer (got ${T})`);
    if (files.length === 0) throw new LocoError('notFound', 'no shard files given');
    this.files = [...files];
    this.T = T;
    this.ntokens = this.files.map((f) => readShardHeader(f).ntokens);
    this.samples = this.ntokens.map((n) => samplesInShard(n, T));
    this.starts = [];
    let acc = 0;
    for (const s of this.samples) {
      this.starts.push(acc);
      acc += s;
    }
    this.numSamples = acc;
  }

  get totalTokens(): number {
    return this.ntokens.reduce((a, b) => a + b, 0);
  }

  /** (shard index, sample index within the shard) of a global sample id. */
  locate(id: number): { shard: number; index: number } {
    if (!Number.isSafeInteger(id) || id < 0 || id >= this.numSamples) {
      throw new LocoError('invalidInput', `sample id ${id} out of range (0 … ${this.numSamples - 1})`);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= id) lo = mid;
      else hi = mid - 1;
    }
    // Skip shards with zero samples that share the same start.
    while (this.samples[lo] === 0) lo++;
    return { shard: lo, index: id - this.starts[lo]! };
  }

  /** The (inputs, targets) of the given global sample ids, in the order given. */
  fetch(ids: readonly number[]): Batch {
    const T = this.T;
    const B = ids.length;
    const inputs = new Uint16Array(B * T);
    const targets = new Uint16Array(B * T);
    const raw = new Uint8Array(2 * (T + 1));
    const dv = new DataView(raw.buffer);
    const fds = new Map<number, number>();
    try {
      for (let b = 0; b < B; b++) {
        const { shard, index } = this.locate(ids[b]!);
        let fd = fds.get(shard);
        if (fd === undefined) {
          fd = openForRead(this.files[shard]!);
          fds.set(shard, fd);
        }
        readExactly(fd, raw, SHARD_HEADER_BYTES + 2 * index * T, this.files[shard]!);
        for (let t = 0; t < T; t++) {
          inputs[b * T + t] = dv.getUint16(2 * t, true);
          targets[b * T + t] = dv.getUint16(2 * t + 2, true);
        }
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
    return { B, T, inputs, targets };
  }
}

export type Split = 'train' | 'val';

/**
 * The shard files of a data set, in order. `path` is a shard file, or a folder: with a
 * manifest.json (written by `loco data prepare`) its listing is used; otherwise every *.bin in
 * name order (llm.c names shards `<name>_train_NNNNNN.bin` / `<name>_val_NNNNNN.bin`).
 */
export function listShardFiles(path: string, split?: Split): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw fromFsError(e, path);
  }
  if (st.isFile()) return [path];
  const manifest = join(path, 'manifest.json');
  let files: { file: string; split?: string }[];
  if (existsSync(manifest)) {
    let m: { shards?: { file: string; split?: string }[] };
    try {
      m = JSON.parse(readFileSync(manifest, 'utf8'));
    } catch (e) {
      throw new LocoError('invalidInput', `${manifest}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(m.shards)) throw new LocoError('invalidInput', `${manifest}: no "shards" list`);
    files = m.shards.map((s) => {
      if (typeof s?.file !== 'string' || s.file.includes('/') || s.file.includes('\\') || s.file.startsWith('.')) {
        throw new LocoError('invalidInput', `${manifest}: bad shard entry ${JSON.stringify(s)}`);
      }
      return { file: s.file, split: s.split };
    });
  } else {
    files = readdirSync(path)
      .filter((f) => f.endsWith('.bin'))
      .sort()
      .map((f) => ({ file: f, split: /(^|[_.-])val([_.-]|$)/.test(f) ? 'val' : /(^|[_.-])train([_.-]|$)/.test(f) ? 'train' : undefined }));
  }
  const chosen = split ? files.filter((f) => f.split === split) : files;
  if (chosen.length === 0) {
    throw new LocoError('notFound', `${path}: no ${split ? split + ' ' : ''}shards found (run \`loco data prepare\` first?)`);
  }
  return chosen.map((f) => join(path, f.file));
}

export function shardName(prefix: string, split: Split, index: number): string {
  return `${basename(prefix)}_${split}_${String(index).padStart(6, '0')}.bin`;
}

/** The (inputs, targets) of global sample ids over an ordered list of shard files (see ShardSet). */
export function fetchSamples(files: string[], T: number, ids: readonly number[]): Batch {
  return new ShardSet(files, T).fetch(ids);
}
