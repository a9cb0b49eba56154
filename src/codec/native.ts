// Driver for kernels/build/loco-codec, the native SparseLoCo codec (kernels/tools/codec_main.cpp
// documents its file formats). Used by the TS/C++ parity test and `loco bench codec`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocoError } from '../errors.js';
import type { CodecParams, Layout } from './sparseloco.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KERNELS = join(ROOT, 'kernels');
export const CODEC_BIN = process.env.LOCO_CODEC_BIN ?? join(KERNELS, 'build', 'loco-codec');

/** Path of the native tool, building it with make when it is missing (null if that fails). */
export function nativeCodec(build = true): string | null {
  if (existsSync(CODEC_BIN)) return CODEC_BIN;
  if (!build) return null;
  const r = spawnSync('make', ['-C', KERNELS, 'build/loco-codec'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(CODEC_BIN) ? CODEC_BIN : null;
}

function run(bin: string, args: string[], input?: string): string {
  // Passive OpenMP waiting: on a shared, oversubscribed machine spinning threads make every
  // parallel region many times slower (measured: 150 ms vs 19 ms for the same encode).
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' };
  const r = spawnSync(bin, args, { encoding: 'utf8', input, maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new LocoError('engine', `loco-codec ${args[0]} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

export interface NativeEncoded {
  nChunks: number;
  k: number;
  c1: number;
  c2: number;
  shift: number;
  sigma: number;
  lut: Float32Array;
  indices: Uint16Array;
  codes: Uint8Array;
  eAfter: Float32Array;
}

/** Run the native encoder on tensors (e, and Δ when given: then it applies error feedback first). */
export function nativeEncode(bin: string, p: CodecParams, tensors: { shape: number[]; e: Float32Array; delta?: Float32Array }[]): NativeEncoded[] {
  const withDelta = tensors.length > 0 && tensors[0].delta !== undefined;
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0x5145434c, true);
  head.setUint32(4, tensors.length, true);
  head.setFloat32(8, p.beta, true);
  head.setUint32(12, p.topk, true);
  head.setUint32(16, p.chunk, true);
  head.setUint32(20, withDelta ? 1 : 0, true);
  parts.push(new Uint8Array(head.buffer));
  for (const t of tensors) {
    const h = new DataView(new ArrayBuffer(4 + 4 * t.shape.length));
    h.setUint32(0, t.shape.length, true);
    t.shape.forEach((d, i) => h.setUint32(4 + 4 * i, d, true));
    parts.push(new Uint8Array(h.buffer), new Uint8Array(t.e.buffer, t.e.byteOffset, t.e.byteLength));
    if (withDelta) {
      if (!t.delta) throw new LocoError('invalidInput', 'either every tensor has a delta or none');
      parts.push(new Uint8Array(t.delta.buffer, t.delta.byteOffset, t.delta.byteLength));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'loco-codec-'));
  try {
    writeFileSync(join(dir, 'in'), Buffer.concat(parts));
    run(bin, ['encode', join(dir, 'in'), join(dir, 'out')]);
    const buf = readFileSync(join(dir, 'out'));
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let o = 0;
    return tensors.map((t) => {
      const nChunks = dv.getUint32(o, true);
      const k = dv.getUint32(o + 4, true);
      const c1 = dv.getUint32(o + 8, true);
      const c2 = dv.getUint32(o + 12, true);
      const shift = dv.getFloat32(o + 16, true);
      const sigma = dv.getFloat32(o + 20, true);
      const lut = new Float32Array(4);
      for (let c = 0; c < 4; c++) lut[c] = dv.getFloat32(o + 24 + 4 * c, true);
      o += 40;
      const n = nChunks * k;
      const indices = new Uint16Array(n);
      for (let j = 0; j < n; j++) indices[j] = dv.getUint16(o + 2 * j, true);
      o += 2 * n;
      const codes = Uint8Array.from(buf.subarray(o, o + n));
      o += n;
      const numel = t.e.length;
      const eAfter = new Float32Array(numel);
      for (let i = 0; i < numel; i++) eAfter[i] = dv.getFloat32(o + 4 * i, true);
      o += 4 * numel;
      return { nChunks, k, c1, c2, shift, sigma, lut, indices, codes, eAfter };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Native aggregate of peers sharing one layout; returns the dense update. */
export function nativeAggregate(
  bin: string,
  p: CodecParams,
  shape: number[],
  L: Layout,
  peers: { shift: number; lut: ArrayLike<number>; indices: Uint16Array; codes: Uint8Array }[],
): Float32Array {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(12 + 4 * shape.length + 8);
  h.writeUInt32LE(0x4741434c, 0);
  h.writeUInt32LE(peers.length, 4);
  h.writeUInt32LE(shape.length, 8);
  shape.forEach((d, i) => h.writeUInt32LE(d, 12 + 4 * i));
  h.writeUInt32LE(p.topk, 12 + 4 * shape.length);
  h.writeUInt32LE(p.chunk, 16 + 4 * shape.length);
  parts.push(h);
  for (const q of peers) {
    const ph = Buffer.alloc(20);
    ph.writeFloatLE(q.shift, 0);
    for (let c = 0; c < 4; c++) ph.writeFloatLE(q.lut[c], 4 + 4 * c);
    const idx = Buffer.alloc(2 * q.indices.length);
    q.indices.forEach((v, j) => idx.writeUInt16LE(v, 2 * j));
    parts.push(ph, idx, Buffer.from(q.codes));
  }
  const dir = mkdtempSync(join(tmpdir(), 'loco-codec-'));
  try {
    writeFileSync(join(dir, 'in'), Buffer.concat(parts));
    run(bin, ['aggregate', join(dir, 'in'), join(dir, 'out')]);
    const buf = readFileSync(join(dir, 'out'));
    const out = new Float32Array(L.numel);
    for (let i = 0; i < L.numel; i++) out[i] = buf.readFloatLE(4 * i);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NativeBench {
  peers: number;
  tensors: number;
  numel: number;
  kept: number;
  threads: number;
  copy_gbps: number;
  encode_s_per_peer: number;
  encode_cpu_s_per_peer: number;
  aggregate_cpu_s: number;
  ef_s_per_peer: number;
  aggregate_s: number;
}

export function nativeBench(bin: string, p: CodecParams, shapes: readonly (readonly number[])[], peers: number, seed = 1): NativeBench {
  const out = run(bin, ['bench', String(peers), String(p.topk), String(p.chunk), String(seed)], shapes.map((s) => s.join(' ')).join('\n') + '\n');
  return JSON.parse(out.trim().split('\n').pop() as string) as NativeBench;
}
