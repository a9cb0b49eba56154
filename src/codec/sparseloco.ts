// SparseLoCo, the TypeScript reference (docs/sparseloco.md is the contract; kernels/src/codec.cpp is
// the same algorithm in C++ and must agree bit for bit on indices, codes, quantisation parameters
// and the error-feedback buffer: test/codec-parity.test.ts pins that).
//
// Miner side, per tensor:  e ← β·e + Δ;  chunk e;  keep the top-k |e| of each chunk;  quantise the
// kept values to 2 bits (per-tensor shift, 4 equal bins over ±3σ, each level = mean of its values);
// e ← e − dequantised(sent).
// Receiver side: dequantise each peer, clip each peer's norm to the median norm, scatter-mean.
//
// Every floating-point step is specified so that two IEEE-754 implementations give the same bits:
// fp32 values are rounded after every fp32 operation (Math.fround / Float32Array stores), reductions
// run in float64 in a fixed order (within a chunk by ascending local index, then the chunk sums by
// a fixed 32-ary tree, treeSum), and only +, −, ×, ÷ and sqrt are used (all correctly rounded in JS
// and C++).
import { LocoError } from '../errors.js';

export interface CodecParams {
  /** k per chunk of chunk² elements (Templar: 64 of 4096). */
  topk: number;
  /** target chunk side (Templar: 64). */
  chunk: number;
  /** error-feedback decay β. */
  beta: number;
}

export const DEFAULT_CODEC: Readonly<CodecParams> = Object.freeze({ topk: 64, chunk: 64, beta: 0.95 });

/** Largest chunk side we accept: keeps a local index below 2^16. */
export const MAX_CHUNK = 256;

export function checkCodecParams(p: CodecParams): CodecParams {
  if (!Number.isInteger(p.chunk) || p.chunk < 1 || p.chunk > MAX_CHUNK) {
    throw new LocoError('invalidInput', `codec chunk must be an integer in 1…${MAX_CHUNK} (got ${p.chunk})`);
  }
  if (!Number.isInteger(p.topk) || p.topk < 1 || p.topk > p.chunk * p.chunk) {
    throw new LocoError('invalidInput', `codec topk must be an integer in 1…chunk² (got ${p.topk})`);
  }
  if (typeof p.beta !== 'number' || !Number.isFinite(p.beta) || p.beta < 0 || p.beta > 1) {
    throw new LocoError('invalidInput', `codec beta must be a number in [0, 1] (got ${p.beta})`);
  }
  return p;
}

/** c(n): n itself when n ≤ target, else the largest divisor of n that is ≤ target (Templar's rule). */
export function chunkSide(n: number, target: number): number {
  if (n <= target) return n;
  for (let c = target; c > 1; c--) if (n % c === 0) return c;
  return 1;
}

/**
 * How a tensor is cut into chunks. A 1-D tensor [n] is treated as [1, n]. Chunk (bi, bj) covers
 * rows bi·c1 … bi·c1+c1−1 and columns bj·c2 … bj·c2+c2−1; chunks are numbered row-major
 * (ch = bi·(cols/c2) + bj) and a chunk's local index is l = r·c2 + c (row-major inside the chunk).
 */
export interface Layout {
  rows: number;
  cols: number;
  c1: number;
  c2: number;
  /** elements per chunk, c1·c2 */
  len: number;
  nChunks: number;
  /** chunks per block row, cols / c2 */
  perRow: number;
  /** kept values per chunk */
  k: number;
  numel: number;
}

/**
 * k per chunk. Matrices keep the same density as k of chunk² (rounded up, at least 1, at most the
 * chunk): 64 of 4096, 43 of 43×64. Vectors keep min(topk, chunk length), so norm scales (chunks of
 * ≤ 64) go dense exactly as in Templar.
 */
export function kFor(shape: readonly number[], c1: number, c2: number, p: CodecParams): number {
  const len = c1 * c2;
  if (shape.length === 1) return Math.min(p.topk, len);
  const full = p.chunk * p.chunk;
  return Math.min(len, Math.max(1, Math.floor((p.topk * len + full - 1) / full)));
}

export function layoutFor(shape: readonly number[], p: CodecParams): Layout {
  if (shape.length !== 1 && shape.length !== 2) throw new LocoError('unsupported', `SparseLoCo handles 1-D and 2-D tensors only (got rank ${shape.length})`);
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 1) throw new LocoError('invalidInput', `bad tensor dimension ${d}`);
  const rows = shape.length === 1 ? 1 : shape[0];
  const cols = shape.length === 1 ? shape[0] : shape[1];
  const c1 = shape.length === 1 ? 1 : chunkSide(rows, p.chunk);
  const c2 = chunkSide(cols, p.chunk);
  const len = c1 * c2;
  const perRow = cols / c2;
  return { rows, cols, c1, c2, len, nChunks: (rows / c1) * perRow, perRow, k: kFor(shape, c1, c2, p), numel: rows * cols };
}

/** Flat (row-major) offset of local index l in chunk ch. */
export function flatIndex(L: Layout, ch: number, l: number): number {
  const bi = Math.floor(ch / L.perRow);
  const bj = ch - bi * L.perRow;
  const r = Math.floor(l / L.c2);
  return (bi * L.c1 + r) * L.cols + bj * L.c2 + (l - r * L.c2);
}

/** One tensor as sent: k local indices (ascending) and k 2-bit codes per chunk, plus the quantiser. */
export interface EncodedTensor {
  name: string;
  shape: number[];
  layout: Layout;
  /** nChunks·k local indices, ascending within each chunk */
  indices: Uint16Array;
  /** nChunks·k codes in 0…3, in the same order */
  codes: Uint8Array;
  /** fp32 */
  shift: number;
  /** fp32 */
  sigma: number;
  /** fp32 level values (centred: add shift to dequantise) */
  lut: Float32Array;
}

const f32 = Math.fround;

/** The four dequantised values fround(lut[c] + shift). */
export function dequantLevels(shift: number, lut: ArrayLike<number>): Float32Array {
  const d = new Float32Array(4);
  for (let c = 0; c < 4; c++) d[c] = lut[c] + shift; // Float32Array store = fp32 rounding of the exact fp32 sum
  return d;
}

/** e ← β·e + Δ, in fp32: e = fl(fl(β·e) + Δ). */
export function errorFeedback(e: Float32Array, delta: Float32Array, beta: number): void {
  if (e.length !== delta.length) throw new LocoError('invalidInput', `error-feedback buffer has ${e.length} values, Δ has ${delta.length}`);
  const b = f32(beta);
  for (let i = 0; i < e.length; i++) e[i] = f32(b * e[i]) + delta[i];
}

// --- top-k selection ------------------------------------------------------------------------
// |v| is compared through its IEEE bits with the sign cleared (an unsigned integer order equal to
// the order of |v| for finite values; −0 and +0 are equal). The kept set is the k largest keys,
// ties broken by the lower local index. Result: the kept local indices in ascending order.

const HIST = 1024; // buckets of the top 10 bits of a key (< 2^31)

/** k-th largest of keys[0..n) (k ≥ 1); scratch is reordered. Hoare quickselect, middle pivot. */
function kthLargest(keys: Uint32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const target = n - k; // position in ascending order
  while (lo < hi) {
    const pivot = keys[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return keys[target];
  }
  return keys[target];
}

/**
 * Encode one tensor in place: e must already hold β·e + Δ (see errorFeedback); on return e holds
 * e − dequantised(sent). Throws invalidInput on a non-finite value in e.
 */
export function encodeTensor(name: string, shape: number[], e: Float32Array, p: CodecParams): EncodedTensor {
  const L = layoutFor(shape, p);
  if (e.length !== L.numel) throw new LocoError('invalidInput', `${name}: buffer has ${e.length} values, shape ${JSON.stringify(shape)} needs ${L.numel}`);
  const { c1, c2, len, nChunks, perRow, k, cols } = L;
  const bits = new Uint32Array(e.buffer, e.byteOffset, e.length);
  const keys = new Uint32Array(len);
  const scratch = new Uint32Array(len);
  const hist = new Uint32Array(HIST);
  const indices = new Uint16Array(nChunks * k);
  const vals = new Float32Array(nChunks * k);
  for (let ch = 0; ch < nChunks; ch++) {
    const bi = Math.floor(ch / perRow);
    const base = bi * c1 * cols + (ch - bi * perRow) * c2;
    // gather keys in local order, with a histogram of their top 10 bits
    hist.fill(0);
    let l = 0;
    let bad = -1;
    for (let r = 0; r < c1; r++) {
      const off = base + r * cols;
      for (let c = 0; c < c2; c++) {
        const key = bits[off + c] & 0x7fffffff;
        if (key >= 0x7f800000) bad = off + c;
        keys[l++] = key;
        hist[key >>> 21]++;
      }
    }
    if (bad >= 0) throw new LocoError('invalidInput', `${name}: non-finite value at ${bad}`);
    const out = ch * k;
    if (k === len) {
      for (let i = 0; i < len; i++) indices[out + i] = i;
    } else {
      // the bucket holding the k-th largest key, then an exact select inside that bucket only
      let above = 0;
      let b = HIST - 1;
      while (above + hist[b] < k) above += hist[b--];
      let m = 0;
      for (let i = 0; i < len; i++) if (keys[i] >>> 21 === b) scratch[m++] = keys[i];
      const t = kthLargest(scratch, m, k - above);
      let gt = above;
      for (let i = 0; i < m; i++) if (scratch[i] > t) gt++;
      let eqLeft = k - gt;
      let o = out;
      for (let i = 0; i < len; i++) {
        const key = keys[i];
        if (key >= t && (key > t || eqLeft-- > 0)) indices[o++] = i;
      }
    }
    for (let j = 0; j < k; j++) {
      const li = indices[out + j];
      const r = Math.floor(li / c2);
      const v = e[base + r * cols + (li - r * c2)];
      vals[out + j] = v;
    }
  }
  const q = quantise(vals, nChunks, k);
  // e ← e − dequantised(sent)
  const deq = dequantLevels(q.shift, q.lut);
  for (let ch = 0; ch < nChunks; ch++) {
    const bi = Math.floor(ch / perRow);
    const base = bi * c1 * cols + (ch - bi * perRow) * c2;
    for (let j = ch * k, end = j + k; j < end; j++) {
      const li = indices[j];
      const r = Math.floor(li / c2);
      const pos = base + r * cols + (li - r * c2);
      e[pos] = e[pos] - deq[q.codes[j]];
    }
  }
  return { name, shape: [...shape], layout: L, indices, codes: q.codes, shift: q.shift, sigma: q.sigma, lut: q.lut };
}

export interface Quantised {
  codes: Uint8Array;
  shift: number;
  sigma: number;
  lut: Float32Array;
}

/** Group width of the fixed summation tree over chunk sums (docs/sparseloco.md, "Summation order"). */
export const SUM_FANOUT = 32;

/**
 * The contract's combination of per-chunk float64 sums (docs/sparseloco.md): a fixed 32-ary tree.
 * The values are cut into consecutive groups of 32 (the last may be shorter); each group is summed
 * left to right starting from its first element (a group of one is that element, unchanged); the
 * ⌈n/32⌉ results form the next level; repeat until one value remains. n = 0 gives +0.
 * Fixed, so every implementation gets the same bits, and parallel: each level's groups are
 * independent (the GPU sums a level with one thread per group). Overwrites `parts[0..n)`.
 */
export function treeSum(parts: Float64Array, n: number = parts.length): number {
  if (n === 0) return 0;
  while (n > 1) {
    let m = 0;
    for (let g = 0; g < n; g += SUM_FANOUT) {
      const end = Math.min(n, g + SUM_FANOUT);
      let s = parts[g];
      for (let i = g + 1; i < end; i++) s += parts[i];
      parts[m++] = s; // m ≤ g: this group's elements are read before it is written over
    }
    n = m;
  }
  return parts[0];
}

/**
 * 2-bit quantiser over the kept values (n = nChunks·k, in chunk order). Every sum is float64: per
 * chunk in ascending order from +0, then the chunk sums combined by treeSum (the 32-ary tree):
 *   shift = fp32(Σv / n)
 *   x = v − shift (float64), σ = fp32(sqrt(Σ x² / (n − 1)))   (σ = 0 when n = 1)
 *   code = 0 if x < −1.5σ, 1 if x < 0, 2 if x < 1.5σ, else 3 (4 equal bins over ±3σ, the outer two
 *          open-ended); when σ = 0: 2 if x ≥ 0 else 1
 *   lut[c] = fp32(Σ x over code c / count c), 0 for an empty level; dequantised = fp32(lut[c] + shift)
 */
export function quantise(vals: Float32Array, nChunks: number, k: number): Quantised {
  const n = nChunks * k;
  const part = new Float64Array(nChunks);
  for (let ch = 0; ch < nChunks; ch++) {
    let s = 0;
    for (let j = ch * k, end = j + k; j < end; j++) s += vals[j];
    part[ch] = s;
  }
  const shift = f32(treeSum(part, nChunks) / n);
  for (let ch = 0; ch < nChunks; ch++) {
    let s = 0;
    for (let j = ch * k, end = j + k; j < end; j++) {
      const x = vals[j] - shift;
      s += x * x;
    }
    part[ch] = s;
  }
  const ss = treeSum(part, nChunks);
  const sigma = n > 1 ? f32(Math.sqrt(ss / (n - 1))) : 0;
  const t = 1.5 * sigma;
  const codes = new Uint8Array(n);
  const lpart = [new Float64Array(nChunks), new Float64Array(nChunks), new Float64Array(nChunks), new Float64Array(nChunks)];
  const lcnt = [0, 0, 0, 0];
  for (let ch = 0; ch < nChunks; ch++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let j = ch * k, end = j + k; j < end; j++) {
      const x = vals[j] - shift;
      let c: number;
      if (sigma === 0) c = x >= 0 ? 2 : 1;
      else c = x < -t ? 0 : x < 0 ? 1 : x < t ? 2 : 3;
      codes[j] = c;
      if (c === 0) { s0 += x; n0++; } else if (c === 1) { s1 += x; n1++; } else if (c === 2) { s2 += x; n2++; } else { s3 += x; n3++; }
    }
    lpart[0][ch] = s0; lpart[1][ch] = s1; lpart[2][ch] = s2; lpart[3][ch] = s3;
    lcnt[0] += n0; lcnt[1] += n1; lcnt[2] += n2; lcnt[3] += n3;
  }
  const lut = new Float32Array(4);
  for (let c = 0; c < 4; c++) lut[c] = lcnt[c] ? treeSum(lpart[c], nChunks) / lcnt[c] : 0;
  return { codes, shift, sigma, lut };
}

/** Dense fp32 tensor of what a receiver reconstructs from one encoded tensor (no clipping). */
export function densify(t: Pick<EncodedTensor, 'layout' | 'indices' | 'codes' | 'shift' | 'lut'>): Float32Array {
  const L = t.layout;
  const out = new Float32Array(L.numel);
  const deq = dequantLevels(t.shift, t.lut);
  forEachKept(L, t.indices, (j, pos) => {
    out[pos] = deq[t.codes[j]];
  });
  return out;
}

/** Calls fn(j, flatPosition) for every kept value j in order. */
export function forEachKept(L: Layout, indices: Uint16Array, fn: (j: number, pos: number) => void): void {
  const { c1, c2, perRow, k, cols, nChunks } = L;
  for (let ch = 0; ch < nChunks; ch++) {
    const bi = Math.floor(ch / perRow);
    const base = bi * c1 * cols + (ch - bi * perRow) * c2;
    for (let j = ch * k, end = j + k; j < end; j++) {
      const li = indices[j];
      const r = Math.floor(li / c2);
      fn(j, base + r * cols + (li - r * c2));
    }
  }
}

/** What aggregation needs from one peer's tensor (a decoded payload tensor or an EncodedTensor). */
export interface PeerTensor {
  layout: Layout;
  indices: Uint16Array;
  codes: Uint8Array;
  shift: number;
  lut: ArrayLike<number>;
}

/**
 * Median-norm clipping + scatter-mean over P peers of one tensor.
 *   v_p = fp32(lut[c] + shift);  ‖p‖ = sqrt(Σ_c count_c · v_c²)  (float64, c = 0…3)
 *   med = lower median of the norms (sorted ascending, element ⌊(P−1)/2⌋, as torch.median)
 *   s_p = fp32(min(1, med / (‖p‖ + 1e-8)))  (float64 division, then rounded);  w = fp32(v_c · s_p)
 *   sum[pos] = fp32(sum[pos] + w) peer by peer in the given order, count[pos]++;
 *   out[pos] = fp32(sum / count) where count > 0, else 0.
 * Returns the dense update (row-major, the tensor's shape). All peers must share the layout.
 * `out` (numel values) and `countScratch` (≥ numel) may be passed to reuse buffers across calls.
 */
export function aggregateTensor(peers: readonly PeerTensor[], out?: Float32Array, countScratch?: Uint16Array): Float32Array {
  if (peers.length === 0) throw new LocoError('invalidInput', 'aggregate: no peers');
  const L = peers[0].layout;
  for (const p of peers) {
    const q = p.layout;
    if (q.rows !== L.rows || q.cols !== L.cols || q.c1 !== L.c1 || q.c2 !== L.c2 || q.k !== L.k) {
      throw new LocoError('invalidInput', 'aggregate: peers disagree on the tensor layout');
    }
  }
  if (peers.length > 65535) throw new LocoError('invalidInput', 'aggregate: more than 65535 peers');
  const scales = clipScales(peers);
  if (out && out.length !== L.numel) throw new LocoError('invalidInput', `aggregate: output has ${out.length} values, the tensor ${L.numel}`);
  const sum = out ?? new Float32Array(L.numel);
  if (out) sum.fill(0);
  let cnt: Uint16Array;
  if (countScratch && countScratch.length >= L.numel) {
    cnt = countScratch.subarray(0, L.numel);
    cnt.fill(0);
  } else cnt = new Uint16Array(L.numel);
  const { c1, c2, perRow, k, cols, nChunks } = L;
  for (let p = 0; p < peers.length; p++) {
    const pt = peers[p];
    const deq = dequantLevels(pt.shift, pt.lut);
    const w = new Float32Array(4);
    for (let c = 0; c < 4; c++) w[c] = deq[c] * scales[p];
    const idx = pt.indices;
    const codes = pt.codes;
    for (let ch = 0; ch < nChunks; ch++) {
      const bi = Math.floor(ch / perRow);
      const base = bi * c1 * cols + (ch - bi * perRow) * c2;
      for (let j = ch * k, end = j + k; j < end; j++) {
        const li = idx[j];
        const r = Math.floor(li / c2);
        const pos = base + r * cols + (li - r * c2);
        sum[pos] += w[codes[j]];
        cnt[pos]++;
      }
    }
  }
  for (let i = 0; i < sum.length; i++) {
    const c = cnt[i];
    if (c > 1) sum[i] = sum[i] / c;
  }
  return sum;
}

/** Per-peer clip factors s_p (fp32), as documented on aggregateTensor. */
export function clipScales(peers: readonly PeerTensor[]): Float32Array {
  const norms = peers.map((p) => {
    const deq = dequantLevels(p.shift, p.lut);
    const cnt = [0, 0, 0, 0];
    for (let j = 0; j < p.codes.length; j++) cnt[p.codes[j]]++;
    let s = 0;
    for (let c = 0; c < 4; c++) s += cnt[c] * (deq[c] * deq[c]);
    return Math.sqrt(s);
  });
  const sorted = [...norms].sort((a, b) => a - b);
  const med = sorted[Math.floor((sorted.length - 1) / 2)];
  const scales = new Float32Array(peers.length);
  for (let p = 0; p < peers.length; p++) scales[p] = Math.min(1, med / (norms[p] + 1e-8));
  return scales;
}

/** θ ← θ − lr · update, in fp32 (θ_i = fl(θ_i − fl(lr·u_i))). */
export function applyUpdate(theta: Float32Array, update: Float32Array, lr: number): void {
  if (theta.length !== update.length) throw new LocoError('invalidInput', 'applyUpdate: length mismatch');
  const l = f32(lr);
  for (let i = 0; i < theta.length; i++) theta[i] = theta[i] - f32(l * update[i]);
}
