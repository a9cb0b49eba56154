// Vectors whose quantiser parameters depend on the order in which chunk sums are combined
// (docs/sparseloco.md, "Summation order": the fixed 32-ary tree). Both are 1-D with nc chunks of 64
// and every value kept (k = 64 with the default codec), so the kept values are exactly these.
// kernels/tools/codec_cuda_main.cu builds the same vectors (gen kTreeCancel, kTreeMid) for the GPU.

/**
 * Chunk 0 starts with 2^60, chunk 32 with −2^60, every other chunk with 1, the rest is 0. In chunk
 * order the 1s of chunks 1…31 vanish into 2^60 and those after chunk 32 count; in the tree the 1s
 * of chunks 33…63 vanish into −2^60 instead, so Σv (and the shift) differ for nc ≥ 34.
 */
export function treeCancelVector(nc: number): Float32Array {
  const a = new Float32Array(64 * nc);
  for (let c = 0; c < nc; c++) a[64 * c] = c === 0 ? 2 ** 60 : c === 32 ? -(2 ** 60) : 1;
  return a;
}

/**
 * Every chunk sums to exactly 0 (shift = 0). Level 2 (0 ≤ x < 1.5σ) holds 1 and 2^-24 in chunk 0,
 * 2^-54 in each of chunks 32…min(63, nc−1) (s of them) and zeros, 2^m values in all; level 1
 * mirrors it with the negatives; ±8 pairs fill the rest (levels 0 and 3). In chunk order level 2's
 * sum stays 1 + 2^-24 (each 2^-54 is below half an ulp), an exact fp32 midpoint after ÷ 2^m, which
 * rounds to even; the tree adds s·2^-54 first and rounds up: lut[2] differs by one fp32 ulp.
 * Meant for nc = 48 and 1100 (s even, and 1 < 1.5σ < 8 so the bins are as described).
 */
export function treeMidVector(nc: number, big = 8): Float32Array {
  const n = 64 * nc;
  const a = new Float32Array(n);
  const reserved = new Uint8Array(n);
  a.set([1, 2 ** -24, -1, -(2 ** -24)], 0);
  reserved.fill(1, 0, 4);
  const s = Math.max(0, Math.min(32, nc - 32));
  for (let c = 32; c < 32 + s; c++) {
    a[64 * c] = 2 ** -54;
    a[64 * c + 1] = -(2 ** -54);
    reserved[64 * c] = reserved[64 * c + 1] = 1;
  }
  let m = 1;
  while (m * 2 <= n - (2 + s)) m *= 2;
  let pairs = (n - (2 + s) - m) / 2;
  if (!Number.isInteger(pairs)) throw new Error(`treeMidVector: ${nc} chunks give an odd fill`);
  for (let i = 0; i + 1 < n && pairs > 0; i += 2) {
    if (reserved[i] || reserved[i + 1]) continue;
    a[i] = big;
    a[i + 1] = -big;
    pairs--;
  }
  return a;
}
