// `loco bench codec`: compression ratio of real payloads (headers and signature included) for a
// model config's tensor shapes, encode and decode+aggregate times in TypeScript and in the native
// codec, and this machine's memory-bandwidth floor measured in the same run.
//
// Pseudo-gradients are synthetic (no engine needed): Laplace-distributed values with a per-row
// log-normal scale, so top-k positions are random within a chunk (the hard case for gap coding)
// and rows differ in magnitude as real weight updates do. Peer 0 is encoded for real (timed);
// peers 1…P−1 reuse peer 0's chunks in a rotated chunk order (same statistics, different
// positions), each serialised and signed as its own payload, so decode and aggregate see P
// distinct payloads without P full encodes.
import { loadavg } from 'node:os';
import { getConfig, paramSpecs } from '../trainer/configs.js';
import { keypairFromSeed } from '../wallet/keypair.js';
import { nativeBench, nativeCodec, type NativeBench } from './native.js';
import { decodePayloadUnverified, serializeUnsigned, SIGNATURE_BYTES, verifyPayloadSignature, encodePayload, signPayload, type DecodedTensor } from './payload.js';
import { aggregateTensor, DEFAULT_CODEC, encodeTensor, errorFeedback, layoutFor, type EncodedTensor } from './sparseloco.js';
import { mulberry32 } from '../util/random.js';
import { manifestHash } from './manifest.js';

export interface BenchOptions {
  config: string;
  peers: number;
  seed: number;
  native: boolean;
  log?: (m: string) => void;
}

export interface BenchResult {
  config: string;
  peers: number;
  tensors: number;
  values: number;
  kept: number;
  density: number;
  wire: {
    bytes: number;
    plainBytes: number;
    denseFp32Bytes: number;
    ratio: number;
    plainRatio: number;
    headerBytes: number;
    bitsPerIndex: number;
    plainBitsPerIndex: number;
  };
  bandwidth: { tsCopyGBs: number; nativeCopyGBs: number | null; floorGBs: number };
  floor: { encodeS: number; aggregateS: number; note: string };
  ts: { encodeS: number; errorFeedbackS: number; serializeS: number; signS: number; decodeS: number; verifyS: number; aggregateS: number; decodeAggregateS: number };
  /** CPU seconds of the same TS phases (wall time suffers when other jobs share the cores) */
  tsCpu: { encodeS: number; decodeVerifyS: number; aggregateS: number };
  loadAverage: number[];
  native: (NativeBench & { note: string }) | null;
  nativeSkipped?: string;
  seconds: number;
}

const now = () => performance.now() / 1000;
/** CPU seconds of this process (user + system): robust to other jobs sharing the cores. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function copyBandwidth(): number {
  const n = 1 << 26; // 256 MiB of floats
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = now();
    b.set(a);
    best = Math.min(best, now() - t0);
  }
  return (2 * 4 * n) / best / 1e9; // bytes read + written
}

/** Synthetic pseudo-gradient for one tensor (see the file comment). */
function synth(pool: Float32Array, rows: number, cols: number, salt: number): Float32Array {
  const r = mulberry32(salt);
  const out = new Float32Array(rows * cols);
  const mask = pool.length - 1;
  let off = Math.floor(r() * pool.length);
  const stride = (Math.floor(r() * (pool.length / 2)) << 1) | 1;
  for (let i = 0; i < rows; i++) {
    const scale = 1e-3 * Math.exp(0.5 * (r() + r() + r() - 1.5) * 2);
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      out[base + j] = pool[off & mask] * scale;
      off += stride;
    }
  }
  return out;
}

function rotated(t: EncodedTensor, by: number): EncodedTensor {
  const { nChunks, k } = t.layout;
  const s = ((by % nChunks) + nChunks) % nChunks;
  const indices = new Uint16Array(t.indices.length);
  const codes = new Uint8Array(t.codes.length);
  indices.set(t.indices.subarray(s * k), 0);
  indices.set(t.indices.subarray(0, s * k), (nChunks - s) * k);
  codes.set(t.codes.subarray(s * k), 0);
  codes.set(t.codes.subarray(0, s * k), (nChunks - s) * k);
  return { ...t, indices, codes };
}

export async function benchCodec(o: BenchOptions): Promise<BenchResult> {
  const t00 = now();
  const log = (m: string) => (o.log ?? (() => {}))(`[${(now() - t00).toFixed(1)} s] ${m}`);
  const cfg = getConfig(o.config);
  const specs = paramSpecs(cfg);
  const p = DEFAULT_CODEC;
  const values = specs.reduce((a, s) => a + s.numel, 0);

  const tsCopyGBs = copyBandwidth();
  log(`copy bandwidth (TypedArray.set, read+write): ${tsCopyGBs.toFixed(2)} GB/s`);

  // Laplace pool
  const rnd = mulberry32(o.seed);
  const pool = new Float32Array(1 << 22);
  for (let i = 0; i < pool.length; i++) {
    const u = rnd() + 1e-12;
    pool[i] = u < 0.5 ? Math.log(2 * u) : -Math.log(2 * (1 - u) + 1e-12);
  }
  // warm the JIT on a small tensor
  for (let w = 0; w < 3; w++) {
    const e = new Float32Array(256 * 256);
    errorFeedback(e, synth(pool, 256, 256, w), p.beta);
    const t = encodeTensor('w', [256, 256], e, p);
    aggregateTensor([t, rotated(t, 1)]);
    const b = serializeUnsigned({ manifestHash: new Uint8Array(32), window: 0, uid: 0 }, new Uint8Array(32), [t]);
    const full = new Uint8Array(b.length + 64);
    full.set(b);
    decodePayloadUnverified(full);
  }

  const hotkey = await keypairFromSeed(new Uint8Array(32).fill(0x42));
  const meta = { manifestHash: manifestHash(Buffer.from(JSON.stringify({ model: o.config }))), window: 1000, uid: 0 };
  let efS = 0;
  let encS = 0;
  let encCpu = 0;
  const encoded: EncodedTensor[] = [];
  for (const [i, s] of specs.entries()) {
    const rows = s.shape.length === 1 ? 1 : s.shape[0];
    const cols = s.shape.length === 1 ? s.shape[0] : s.shape[1];
    const d = synth(pool, rows, cols, o.seed * 1_000_003 + i);
    const e = new Float32Array(s.numel).fill(0); // a miner keeps e across windows: no page faults timed
    const c0 = cpu();
    const t0 = now();
    errorFeedback(e, d, p.beta);
    const t1 = now();
    encoded.push(encodeTensor(s.name, s.shape, e, p));
    const t2 = now();
    encCpu += cpu() - c0;
    efS += t1 - t0;
    encS += t2 - t0;
  }
  log(`encode (TS): ${encS.toFixed(3)} s`);
  let t0 = now();
  const body = serializeUnsigned(meta, hotkey.publicKey, encoded, { indexCoding: 'rice' });
  const serializeS = now() - t0;
  t0 = now();
  const payload0 = await signPayload(body, hotkey);
  const signS = now() - t0;
  const plainBytes = serializeUnsigned(meta, hotkey.publicKey, encoded, { indexCoding: 'plain' }).length + SIGNATURE_BYTES;
  const wireBytes = payload0.length;

  const payloads = [payload0];
  for (let q = 1; q < o.peers; q++) {
    payloads.push(await encodePayload({ ...meta, uid: q }, encoded.map((t) => rotated(t, q * 7 + 1)), hotkey));
  }
  const expect = { manifestHash: meta.manifestHash, tensors: specs.map((s) => ({ name: s.name, shape: s.shape })), codec: p };
  let decodeS = 0;
  let verifyS = 0;
  const decCpu0 = cpu();
  const decoded: DecodedTensor[][] = [];
  for (const buf of payloads) {
    t0 = now();
    const d = decodePayloadUnverified(buf, { expect });
    const t1 = now();
    await verifyPayloadSignature(buf, d.header.hotkey);
    verifyS += now() - t1;
    decodeS += t1 - t0;
    decoded.push(d.tensors);
  }
  const decCpu = cpu() - decCpu0;
  let aggS = 0;
  // output and count buffers reused across tensors (a validator keeps them), touched before timing
  const maxNumel = Math.max(...specs.map((s) => s.numel));
  const outBuf = new Float32Array(maxNumel).fill(0);
  const cntBuf = new Uint16Array(maxNumel).fill(0);
  const aggCpu0 = cpu();
  for (let i = 0; i < specs.length; i++) {
    const t1 = now();
    aggregateTensor(decoded.map((d) => d[i]), outBuf.subarray(0, specs[i].numel), cntBuf);
    aggS += now() - t1;
  }
  const aggCpu = cpu() - aggCpu0;
  log(`decode ${decodeS.toFixed(3)} s, verify ${verifyS.toFixed(3)} s, aggregate ${aggS.toFixed(3)} s (TS, ${o.peers} peers)`);

  let kept = 0;
  let sparseKept = 0;
  let idxBits = 0;
  for (const t of decoded[0]) {
    const n = t.layout.nChunks * t.layout.k;
    kept += n;
    if (t.coding !== 'dense') {
      sparseKept += n;
      idxBits += 8 * t.indexBytes;
    }
  }
  const headerBytes = new DataView(payload0.buffer, payload0.byteOffset).getUint32(88, true);

  let native: BenchResult['native'] = null;
  let nativeSkipped: string | undefined;
  if (o.native) {
    const bin = nativeCodec();
    if (!bin) nativeSkipped = 'kernels/build/loco-codec is missing and `make -C kernels build/loco-codec` failed';
    else {
      const nb = nativeBench(bin, p, specs.map((s) => s.shape), o.peers, o.seed);
      native = { ...nb, note: 'own synthetic data (same distribution); encode = error feedback + top-k + quantise per peer; aggregate = clip + scatter-mean of P peers, no wire parsing' };
      log(`native: ${JSON.stringify(nb)}`);
    }
  } else nativeSkipped = '--no-native';

  const floorGBs = Math.max(tsCopyGBs, native?.copy_gbps ?? 0);
  return {
    config: o.config,
    peers: o.peers,
    tensors: specs.length,
    values,
    kept,
    density: kept / values,
    wire: {
      bytes: wireBytes,
      plainBytes,
      denseFp32Bytes: 4 * values,
      ratio: (4 * values) / wireBytes,
      plainRatio: (4 * values) / plainBytes,
      headerBytes,
      bitsPerIndex: idxBits / sparseKept,
      plainBitsPerIndex: 12,
    },
    bandwidth: { tsCopyGBs, nativeCopyGBs: native?.copy_gbps ?? null, floorGBs },
    floor: {
      encodeS: (12 * values) / (floorGBs * 1e9),
      aggregateS: (4 * values) / (floorGBs * 1e9),
      note: 'encode touches Δ (read) and e (read+write): 12 bytes per value; aggregate writes the dense fp32 update: 4 bytes per value',
    },
    ts: {
      encodeS: encS,
      errorFeedbackS: efS,
      serializeS,
      signS,
      decodeS,
      verifyS,
      aggregateS: aggS,
      decodeAggregateS: decodeS + verifyS + aggS,
    },
    tsCpu: { encodeS: encCpu, decodeVerifyS: decCpu, aggregateS: aggCpu },
    loadAverage: loadavg(),
    native,
    ...(nativeSkipped ? { nativeSkipped } : {}),
    seconds: now() - t00,
  };
}

export function humanBench(r: BenchResult): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const s = (x: number) => `${x.toFixed(3)} s`;
  const lines = [
    `config        ${r.config}: ${r.tensors} tensors, ${n(r.values)} values, ${n(r.kept)} kept (${(100 * r.density).toFixed(3)}%)`,
    `wire          ${n(r.wire.bytes)} bytes (Rice gaps, ${r.wire.bitsPerIndex.toFixed(2)} bits/index; header ${n(r.wire.headerBytes)} B, signature 64 B)`,
    `ratio         ${r.wire.ratio.toFixed(1)}× vs dense fp32 (${n(r.wire.denseFp32Bytes)} bytes); plain 12-bit indices: ${r.wire.plainRatio.toFixed(1)}× (${n(r.wire.plainBytes)} bytes)`,
    `bandwidth     copy ${r.bandwidth.tsCopyGBs.toFixed(2)} GB/s (TS)${r.bandwidth.nativeCopyGBs !== null ? `, ${r.bandwidth.nativeCopyGBs.toFixed(2)} GB/s (native)` : ''} (read+write)`,
    `floor         encode ${s(r.floor.encodeS)} · aggregate ${s(r.floor.aggregateS)}`,
    `TS encode     ${s(r.ts.encodeS)} wall, ${s(r.tsCpu.encodeS)} CPU`,
    `              error feedback ${s(r.ts.errorFeedbackS)} · serialise ${s(r.ts.serializeS)} · sign ${s(r.ts.signS)}`,
    `TS decode+agg ${s(r.ts.decodeAggregateS)} wall, ${s(r.tsCpu.decodeVerifyS + r.tsCpu.aggregateS)} CPU for ${r.peers} peers (parse ${s(r.ts.decodeS)} · verify ${s(r.ts.verifyS)} · aggregate ${s(r.ts.aggregateS)})`,
  ];
  if (r.native) {
    lines.push(`native encode ${s(r.native.encode_s_per_peer)} wall, ${s(r.native.encode_cpu_s_per_peer)} CPU per peer (error feedback ${s(r.native.ef_s_per_peer)}), ${r.native.threads} threads`);
    lines.push(`native agg    ${s(r.native.aggregate_s)} wall, ${s(r.native.aggregate_cpu_s)} CPU for ${r.native.peers} peers (clip + scatter-mean; no wire parsing)`);
  } else lines.push(`native        skipped: ${r.nativeSkipped}`);
  lines.push(`total         ${s(r.seconds)} (load average ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')})`);
  return lines;
}
