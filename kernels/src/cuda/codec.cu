// SparseLoCo on the GPU: see codec.cuh and docs/cuda.md ("SparseLoCo on the GPU").
//
// Encode, one launch per step over all chunks of all tensors:
//   k_select      block per chunk: e ← β·e + Δ, 4-pass radix select of the k-th largest key
//                 (|v| bits), keep key > t plus the first (k − #greater) keys = t by ascending
//                 index (the CPU tie-break)
//   k_chunk_stats thread per chunk: Σv (double, ascending), Rice gap sums
//   k_rice        block per tensor, side stream: Rice parameter, each chunk's bit offset
//   k_shift       block per tensor: shift = fp32(Σ / n), the chunk sums combined by the contract's
//                 32-ary tree (tree_sum)
//   k_sigma_part  thread per chunk: Σ (v − shift)² in ascending order
//   k_sigma       block per tensor: σ (tree_sum)
//   k_codes       thread per chunk: codes, per-level Σx and counts, packed code words
//   k_lut         block per tensor: lut (tree_sum of the level sums), dequantised levels
//   k_finish      warp per chunk: e ← e − deq[code], index section bits
// Aggregate: k_norms (block per tensor × peer), k_scales (thread per tensor), k_scatter (block
// per chunk; peers added in order in shared memory, then the dense update and the outer step).
//
// Every floating-point operation is a correctly rounded intrinsic, so nothing can be contracted
// into an FMA whatever the compiler flags; the Makefile adds -fmad=false as well.
#include "codec.cuh"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace loco {
namespace gpucodec {

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRiceSlots = kMaxRice + 1;

enum Status : int {
  kOk = 0,
  kNonFinite = 1,
  kSelectCount = 2,
  kIdxOverflow = 3,
  kBadIndex = 4,
  kOrder = 5,
};

const char* status_text(int s) {
  switch (s) {
    case kNonFinite: return "non-finite value in the error-feedback buffer";
    case kSelectCount: return "internal: top-k selection kept a wrong number of values";
    case kIdxOverflow: return "internal: index section larger than its reserved space";
    case kBadIndex: return "a local index is outside its chunk";
    case kOrder: return "internal: kept indices not strictly ascending";
    default: return "unknown status";
  }
}

__device__ __forceinline__ void report(int* st, int code, int t, int64_t ch) {
  if (atomicCAS(st, 0, code) == 0) {
    st[1] = t;
    st[2] = (int)(ch & 0x7fffffff);
  }
}

__device__ __forceinline__ uint32_t key_of(float v) { return __float_as_uint(v) & 0x7fffffffu; }

__device__ __forceinline__ int64_t chunk_base(const TensorDesc& T, int64_t ch) {
  const int64_t bi = ch / T.perRow;
  return T.elemOff + bi * T.c1 * T.cols + (ch - bi * T.perRow) * T.c2;
}

__device__ __forceinline__ int64_t local_pos(const TensorDesc& T, int64_t base, int l) {
  const int r = l / T.c2;
  return base + (int64_t)r * T.cols + (l - r * T.c2);
}

// LSB-first bit writer into zeroed u32 words shared with neighbouring chunks (atomicOr).
struct BitSink {
  uint32_t* words;
  int64_t w, cap;
  uint64_t acc;
  int fill;
  bool overflow;
  __device__ BitSink(uint32_t* words_, uint64_t bit, int64_t capWords)
      : words(words_), w((int64_t)(bit >> 5)), cap(capWords), acc(0), fill((int)(bit & 31)), overflow(false) {}
  __device__ __forceinline__ void flush_word() {
    if (w < cap) {
      if ((uint32_t)acc) atomicOr(words + w, (uint32_t)acc);
    } else if ((uint32_t)acc) {
      overflow = true;
    }
    acc >>= 32;
    fill -= 32;
    w++;
  }
  // the low n bits of v, n ≤ 32
  __device__ __forceinline__ void put(uint32_t v, int n) {
    if (n <= 0) return;
    const uint64_t m = n == 32 ? 0xffffffffull : ((1ull << n) - 1);
    acc |= ((uint64_t)v & m) << fill;
    fill += n;
    if (fill >= 32) flush_word();
  }
  // q one-bits then a zero bit
  __device__ __forceinline__ void unary(uint32_t q) {
    while (q >= 32) {
      put(0xffffffffu, 32);
      q -= 32;
    }
    put((1u << q) - 1u, (int)q + 1);  // q ≤ 31: q+1 ≤ 32 bits
  }
  __device__ __forceinline__ void finish() {
    if (fill > 0) {
      if (w < cap) {
        if ((uint32_t)acc) atomicOr(words + w, (uint32_t)acc);
      } else if ((uint32_t)acc) {
        overflow = true;
      }
    }
  }
};

// The contract's combination of per-chunk sums (docs/sparseloco.md, "Summation order"): a fixed
// 32-ary tree. Level 1 sums each group of 32 consecutive chunk sums left to right, starting from the
// group's first element; every further level does the same to the level below, until one value is
// left. A group of one is its element unchanged, so evaluating a fixed four levels (32^4 chunks)
// gives the same bits as stopping at the root, which is what this does:
//   level 1+2  warp w takes level-2 nodes w, w + nw, … (1,024 chunk sums each): lane l sums level-1
//              node 32·i + l (its ≤ 32 chunk sums, in order, straight from global memory), then the
//              warp folds its ≤ 32 level-1 nodes left to right through shuffles (every lane
//              computes the same fold; lane 0 stores it)
//   level 3    thread j < ⌈m2/32⌉ folds level-2 nodes 32j … 32j+31 from shared memory
//   level 4    thread 0 folds the ≤ 32 level-3 nodes
// Thread 0 ends with out[c] = tree sum of src[i·NS + c], i = 0 … n−1 (+0 for n = 0);
// n ≤ kMaxTensorChunks (make_plan refuses larger tensors). Every add is __dadd_rn.
constexpr int kTreeThreads = 512;
constexpr int kTreeL2 = (int)(kMaxTensorChunks / 1024);  // level-2 nodes at most (1,024)
template <int NS>
__device__ void tree_sum(const double* __restrict__ src, int64_t n, double (&out)[NS]) {
  __shared__ double l2[NS][kTreeL2 + kTreeL2 / 32];  // one pad slot per 32: level 3's strided reads spread over banks
  __shared__ double l3[NS][32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  const int64_t m1 = (n + 31) >> 5, m2 = (m1 + 31) >> 5;  // level-1 and level-2 node counts
  for (int64_t i = warp; i < m2; i += nw) {  // uniform per warp
    const int64_t g = (i << 5) + lane;  // this lane's level-1 node
    double s[NS];
#pragma unroll
    for (int c = 0; c < NS; c++) s[c] = 0.0;  // lanes past the last node are never folded
    if (g < m1) {
      const int64_t c0 = g << 5;
      const int cnt = (int)min((int64_t)32, n - c0);
      const double* p = src + c0 * NS;
      if (cnt == 32) {
        // a full group: batches of unpredicated loads (the compiler may issue them ahead of the adds)
        constexpr int U = NS == 1 ? 32 : 8;
#pragma unroll 1
        for (int q0 = 0; q0 < 32; q0 += U) {
          double v[U][NS];
#pragma unroll
          for (int u = 0; u < U; u++)
#pragma unroll
            for (int c = 0; c < NS; c++) v[u][c] = p[(q0 + u) * NS + c];
#pragma unroll
          for (int u = 0; u < U; u++)
#pragma unroll
            for (int c = 0; c < NS; c++) s[c] = (q0 + u == 0) ? v[u][c] : __dadd_rn(s[c], v[u][c]);
        }
      } else {  // the last, shorter group of a tensor
#pragma unroll
        for (int c = 0; c < NS; c++) s[c] = p[c];
        for (int q = 1; q < cnt; q++)
#pragma unroll
          for (int c = 0; c < NS; c++) s[c] = __dadd_rn(s[c], p[q * NS + c]);
      }
    }
    const int cnt2 = (int)min((int64_t)32, m1 - (i << 5));  // level-1 nodes under level-2 node i (≥ 1)
    double a[NS];
#pragma unroll
    for (int c = 0; c < NS; c++) a[c] = __shfl_sync(0xffffffffu, s[c], 0);
#pragma unroll
    for (int j = 1; j < 32; j++)
#pragma unroll
      for (int c = 0; c < NS; c++) {
        const double x = __shfl_sync(0xffffffffu, s[c], j);
        if (j < cnt2) a[c] = __dadd_rn(a[c], x);
      }
    if (lane == 0)
#pragma unroll
      for (int c = 0; c < NS; c++) l2[c][i + (i >> 5)] = a[c];
  }
  __syncthreads();
  const int m3 = (int)((m2 + 31) >> 5);  // level-3 nodes, ≤ 32
  if ((int)threadIdx.x < m3) {
    const int b = (int)threadIdx.x << 5;
    const int cnt3 = (int)min((int64_t)32, m2 - b);
#pragma unroll
    for (int c = 0; c < NS; c++) {
      double a = l2[c][b + (b >> 5)];
      for (int q = 1; q < cnt3; q++) a = __dadd_rn(a, l2[c][b + q + ((b + q) >> 5)]);
      l3[c][threadIdx.x] = a;
    }
  }
  __syncthreads();
  if (threadIdx.x == 0) {
#pragma unroll
    for (int c = 0; c < NS; c++) {
      double a = m3 ? l3[c][0] : 0.0;
      for (int q = 1; q < m3; q++) a = __dadd_rn(a, l3[c][q]);
      out[c] = a;
    }
  }
}

// Exclusive prefix sum over a block of kThreads threads; *total gets the block's sum.
__device__ uint64_t block_excl_scan(uint64_t v, uint64_t* total) {
  __shared__ uint64_t ws[kWarps];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  uint64_t incl = v;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const uint64_t n = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += n;
  }
  if (lane == 31) ws[warp] = incl;
  __syncthreads();
  uint64_t off = 0, tot = 0;
  for (int w = 0; w < kWarps; w++) {
    if (w < warp) off += ws[w];
    tot += ws[w];
  }
  __syncthreads();
  *total = tot;
  return off + incl - v;
}

// ---------------------------------------------------------------------------------------------
// encode kernels

// One radix-select digit pass of k_select over all keys of the chunk: hist[(key >> shift) & digitMask]
// += 1 for every key of sv[0…len) with (key & mask) == prefix. hist must be zeroed before.
__device__ __forceinline__ void digit_hist_match_any(const float* sv, int len, uint32_t prefix, uint32_t mask,
                                                     int shift, uint32_t digitMask, uint32_t* hist, int tid) {
  const int lane = tid & 31;
  for (int b0 = 0; b0 < len; b0 += kThreads) {  // uniform bound: whole warps take part in match_any
    const int l = b0 + tid;
    uint32_t bin = 0xffffffffu;
    if (l < len) {
      const uint32_t key = key_of(sv[l]);
      if ((key & mask) == prefix) bin = (key >> shift) & digitMask;
    }
    // one shared atomic per distinct bin per warp (the first digits are mostly one exponent)
    const unsigned same = __match_any_sync(0xffffffffu, bin);
    if (bin != 0xffffffffu && lane == __ffs(same) - 1) atomicAdd(&hist[bin], (uint32_t)__popc(same));
  }
}

// Called by warp 0 only, after the digit pass: finds the bin holding the kRem-th largest of the keys
// that match the prefix and writes the next prefix (prefix | bin << shift), the rank left inside that
// bin, whether the whole bin is kept (allKept) and, with kBinCount, the bin's count (binCount is
// left alone otherwise; only variant 2 reads it).
// Lane owns bins 255−8·lane … 248−8·lane (descending).
template <bool kBinCount>
__device__ __forceinline__ void find_crossing_bin(const uint32_t* hist, int lane, uint32_t prefix, int shift,
                                                  int kRem, uint32_t& nextPrefix, int& nextKRem, bool& allKept,
                                                  uint32_t& binCount) {
  uint32_t c[8];
  uint32_t s = 0;
#pragma unroll
  for (int q = 0; q < 8; q++) {
    c[q] = hist[255 - lane * 8 - q];
    s += c[q];
  }
  uint32_t incl = s;  // inclusive scan of the lanes' sums: keys in this lane's bins and above
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const uint32_t n = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += n;
  }
  const uint32_t excl = incl - s;
  if (excl < (uint32_t)kRem && (uint32_t)kRem <= incl) {
    uint32_t above = excl;
    for (int q = 0; q < 8; q++) {
      if (above + c[q] >= (uint32_t)kRem) {
        const uint32_t np = prefix | ((uint32_t)(255 - lane * 8 - q) << shift);
        nextPrefix = np;
        nextKRem = kRem - (int)above;
        if (kBinCount) binCount = c[q];
        // every key of this bin is kept: no need to resolve it further
        allKept = (c[q] == (uint32_t)kRem - above) && np != 0;
        break;
      }
      above += c[q];
    }
  }
}

// Variants (all give the same output; 1 is the default, kDefaultSelectVariant: 1.073 against 1.157 ms
// for the whole gpt2-124m encode on an H100):
//   0  digits 24/16/8/0, every pass over all keys with warp-aggregated (__match_any_sync) atomics
//   1  after the first digit, plain shared atomics over the keys that still match the prefix only
//      (later digits are spread over many bins, so contention is low)
//   2  as 1, the first digit is the exponent (bits 23…30), and when its crossing bin holds at most
//      kCand keys they are gathered into a shared list, so later passes touch only those
constexpr int kCand = 1024;
template <int V>
__global__ void __launch_bounds__(kThreads, 8) k_select(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor,
                                                     float* __restrict__ e, const float* __restrict__ delta, float beta, bool vec,
                                                     float* __restrict__ vals, uint16_t* __restrict__ idxOut,
                                                     int* __restrict__ status) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ uint32_t hist[256];
  __shared__ int wa[kWarps], wb[kWarps];
  __shared__ uint32_t sPrefix;
  __shared__ int sKRem, sBad;
  __shared__ bool sAll;
  __shared__ uint32_t sBinCnt;
  __shared__ int sN;
  __shared__ uint32_t sCand[V == 2 ? kCand : 1];

  const int64_t gch = blockIdx.x;
  const int t = chunkTensor[gch];
  const TensorDesc T = tensors[t];
  const int64_t ch = gch - T.chunkOff;
  const int len = T.len, k = T.k;
  float* sv = reinterpret_cast<float*>(smem);
  uint16_t* sIdx = reinterpret_cast<uint16_t*>(smem + (size_t)len * 4);
  const int64_t base = chunk_base(T, ch);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

  if (tid == 0) sBad = 0;
  __syncthreads();
  bool bad = false;
  if (vec && (T.c2 & 3) == 0 && (T.cols & 3) == 0 && (T.elemOff & 3) == 0) {
    // 16-byte loads: rows of a chunk are c2 floats starting at a multiple of 4
    const int q2 = T.c2 >> 2, nq = len >> 2;
    constexpr int U = 2;  // loads of a round in flight before any use (4 spills under the 32-register cap)
    for (int q0 = tid; q0 < nq; q0 += kThreads * U) {
      float4 v[U], d[U];
      int64_t pos[U];
#pragma unroll
      for (int u = 0; u < U; u++) {
        const int qi = q0 + u * kThreads;
        if (qi < nq) {
          const int r = qi / q2;
          pos[u] = base + (int64_t)r * T.cols + ((qi - r * q2) << 2);
          v[u] = *reinterpret_cast<const float4*>(e + pos[u]);
          if (delta) d[u] = *reinterpret_cast<const float4*>(delta + pos[u]);
        }
      }
#pragma unroll
      for (int u = 0; u < U; u++) {
        const int qi = q0 + u * kThreads;
        if (qi < nq) {
          float4 x = v[u];
          if (delta) {
            x.x = __fadd_rn(__fmul_rn(beta, x.x), d[u].x);
            x.y = __fadd_rn(__fmul_rn(beta, x.y), d[u].y);
            x.z = __fadd_rn(__fmul_rn(beta, x.z), d[u].z);
            x.w = __fadd_rn(__fmul_rn(beta, x.w), d[u].w);
            *reinterpret_cast<float4*>(e + pos[u]) = x;
          }
          *reinterpret_cast<float4*>(sv + (qi << 2)) = x;
          bad |= key_of(x.x) >= 0x7f800000u || key_of(x.y) >= 0x7f800000u || key_of(x.z) >= 0x7f800000u ||
                 key_of(x.w) >= 0x7f800000u;
        }
      }
    }
  } else {
    for (int l = tid; l < len; l += kThreads) {
      const int64_t pos = local_pos(T, base, l);
      float v = e[pos];
      if (delta) {
        v = __fadd_rn(__fmul_rn(beta, v), delta[pos]);
        e[pos] = v;
      }
      sv[l] = v;
      bad |= key_of(v) >= 0x7f800000u;
    }
  }
  if (bad) sBad = 1;
  __syncthreads();
  const bool chunkBad = sBad != 0;

  if (chunkBad) {
    // keep every later kernel inside its bounds: indices 0…k−1, values 0
    if (tid == 0) report(status, kNonFinite, t, ch);
    for (int j = tid; j < k; j += kThreads) {
      sIdx[j] = (uint16_t)j;
      sv[j] = 0.0f;
    }
  } else if (k < len) {
    uint32_t prefix = 0, mask = 0;
    int kRem = k;
    bool all = false;
    if constexpr (V == 0) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      for (int i = tid; i < 256; i += kThreads) hist[i] = 0;
      __syncthreads();
      digit_hist_match_any(sv, len, prefix, mask, shift, 255u, hist, tid);
      __syncthreads();
      if (warp == 0) find_crossing_bin<false>(hist, lane, prefix, shift, kRem, sPrefix, sKRem, sAll, sBinCnt);
      __syncthreads();
      prefix = sPrefix;
      kRem = sKRem;
      mask |= 255u << shift;
      if (sAll) {
        all = true;
        break;
      }
    }
    } else {
    int nCand = -1;  // variant 2: the candidates of the current prefix are sCand[0…nCand)
    for (int d = 0; d < 4; d++) {
      const int shift = V == 2 ? (d == 0 ? 23 : d == 1 ? 15 : d == 2 ? 7 : 0) : 24 - 8 * d;
      const uint32_t dmask = (V == 2 && d == 3) ? 127u : 255u;
      for (int i = tid; i < 256; i += kThreads) hist[i] = 0;
      __syncthreads();
      if (V >= 1 && d > 0 && nCand >= 0) {
        for (int i = tid; i < nCand; i += kThreads) {
          const uint32_t key = sCand[i];
          if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & dmask], 1u);
        }
      } else if (V >= 1 && d > 0) {
        for (int l = tid; l < len; l += kThreads) {
          const uint32_t key = key_of(sv[l]);
          if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & dmask], 1u);
        }
      } else {
        digit_hist_match_any(sv, len, prefix, mask, shift, dmask, hist, tid);
      }
      __syncthreads();
      if (warp == 0) find_crossing_bin<V == 2>(hist, lane, prefix, shift, kRem, sPrefix, sKRem, sAll, sBinCnt);
      __syncthreads();
      prefix = sPrefix;
      kRem = sKRem;
      mask |= dmask << shift;
      if (sAll) {
        all = true;
        break;
      }
      if (V == 2 && d == 0 && sBinCnt <= (uint32_t)kCand) {  // uniform: shared value after a barrier
        if (tid == 0) sN = 0;
        __syncthreads();
        const unsigned ltm = (1u << lane) - 1u;
        for (int b0 = 0; b0 < len; b0 += kThreads) {  // uniform bound
          const int l = b0 + tid;
          const uint32_t key = l < len ? key_of(sv[l]) : 0u;
          const bool m = l < len && (key & mask) == prefix;
          const unsigned bal = __ballot_sync(0xffffffffu, m);
          if (bal) {  // warp-uniform
            int at = 0;
            if (lane == 0) at = atomicAdd(&sN, __popc(bal));
            at = __shfl_sync(0xffffffffu, at, 0);
            if (m && at + __popc(bal & ltm) < kCand) sCand[at + __popc(bal & ltm)] = key;
          }
        }
        __syncthreads();
        nCand = sN < kCand ? sN : kCand;
      }
    }
    }
    // Keep key > thr, plus the eqNeed lowest-index keys equal to thr. Without an early stop, thr is
    // the k-th largest key t and eqNeed = k − #(key > t); after one (the whole bin is kept) it is
    // "key ≥ prefix".
    const uint32_t thr = all ? prefix - 1 : prefix;
    const int eqNeed = all ? 0 : kRem;
    const unsigned lt = (1u << lane) - 1u;
    // each warp owns a contiguous segment (a multiple of 32) of local indices: count, one block
    // prefix over the warps, then write the kept indices in ascending order
    const int seg = ((len + kThreads - 1) / kThreads) * 32;
    const int s0 = warp * seg, s1 = min(len, s0 + seg);
    int gtC = 0, eqC = 0;
    for (int b = s0; b < s0 + seg; b += 32) {
      const int l = b + lane;
      const bool in = l < s1;
      const uint32_t key = in ? key_of(sv[l]) : 0u;
      gtC += __popc(__ballot_sync(0xffffffffu, in && key > thr));
      eqC += __popc(__ballot_sync(0xffffffffu, in && key == thr));
    }
    if (lane == 0) {
      wa[warp] = eqC;
      wb[warp] = gtC;
    }
    __syncthreads();
    int eqRun = 0, pos = 0, keepRun = 0;
    {
      int eqB = 0, kB = 0;
      for (int w = 0; w < kWarps; w++) {
        if (w == warp) {
          eqRun = eqB;
          pos = kB;
        }
        const int left = eqNeed - eqB;
        kB += wb[w] + (left <= 0 ? 0 : (left < wa[w] ? left : wa[w]));
        eqB += wa[w];
      }
      keepRun = kB;
    }
    for (int b = s0; b < s0 + seg; b += 32) {
      const int l = b + lane;
      const bool in = l < s1;
      const uint32_t key = in ? key_of(sv[l]) : 0u;
      const bool eq = in && key == thr;
      const unsigned eqM = __ballot_sync(0xffffffffu, eq);
      const bool keep = (in && key > thr) || (eq && eqRun + __popc(eqM & lt) < eqNeed);
      const unsigned kM = __ballot_sync(0xffffffffu, keep);
      const int p = pos + __popc(kM & lt);
      if (keep && p < k) sIdx[p] = (uint16_t)l;
      eqRun += __popc(eqM);
      pos += __popc(kM);
    }
    __syncthreads();
    if (keepRun != k) {  // uniform: every thread holds the same keepRun
      if (tid == 0) report(status, kSelectCount, t, ch);
      for (int j = tid; j < k; j += kThreads) sIdx[j] = (uint16_t)j;
    }
  } else {
    for (int j = tid; j < len; j += kThreads) sIdx[j] = (uint16_t)j;
  }
  __syncthreads();

  const int64_t ko = T.keptOff + ch * k;
  for (int j = tid; j < k; j += kThreads) {
    const int li = sIdx[j];
    idxOut[ko + j] = (uint16_t)li;
    vals[ko + j] = sv[li];
  }
}

// Thread per chunk: Σ kept values in ascending order (double), and the Rice gap sums Σ g>>r.
__global__ void k_chunk_stats(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor, int64_t chunks,
                              const float* __restrict__ vals, const uint16_t* __restrict__ idx, double* __restrict__ part,
                              uint32_t* __restrict__ riceSums) {
  const int64_t gch = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (gch >= chunks) return;
  const int t = chunkTensor[gch];
  const TensorDesc& T = tensors[t];
  const int k = T.k;
  const int64_t ko = T.keptOff + (gch - T.chunkOff) * k;
  const float* v = vals + ko;
  double s = 0.0;
  for (int j = 0; j < k; j++) s = __dadd_rn(s, (double)v[j]);
  part[gch] = s;
  if (T.coding != kRice) return;
  uint32_t acc[kRiceSlots];
#pragma unroll
  for (int r = 0; r < kRiceSlots; r++) acc[r] = 0;
  const uint16_t* ix = idx + ko;
  int prev = -1;
  for (int j = 0; j < k; j++) {
    const int li = ix[j];
    const uint32_t g = (uint32_t)(li - prev - 1);
    prev = li;
#pragma unroll
    for (int r = 0; r < kRiceSlots; r++) acc[r] += g >> r;
  }
  uint32_t* out = riceSums + gch * kRiceSlots;
#pragma unroll
  for (int r = 0; r < kRiceSlots; r++) out[r] = acc[r];
}

__global__ void __launch_bounds__(kTreeThreads) k_shift(const TensorDesc* __restrict__ tensors, const double* __restrict__ part,
                                                        TensorParams* __restrict__ params) {
  const int t = blockIdx.x;
  const TensorDesc T = tensors[t];
  const int tid = threadIdx.x;
  const int64_t n = T.nChunks * T.k;
  double acc[1];
  tree_sum<1>(part + T.chunkOff, T.nChunks, acc);
  TensorParams* P = params + t;
  if (tid == 0) {
    P->shift = __double2float_rn(__ddiv_rn(acc[0], (double)n));
    P->coding = T.coding;
    P->codeBytes = (uint64_t)((n + 3) / 4);
  }
  if (tid == 0 && T.coding != kRice) P->idxBytes = T.coding == kPlain ? ((uint64_t)n * (uint64_t)T.width + 7) / 8 : 0;
}

// Block per Rice-coded tensor: the Rice parameter (smallest section, ties to the smaller r) and
// each chunk's bit offset in the index section. Runs on a side stream, beside shift/σ/codes/lut.
__global__ void __launch_bounds__(kThreads) k_rice(const TensorDesc* __restrict__ tensors, const uint32_t* __restrict__ riceSums,
                                                   uint64_t* __restrict__ chunkBitOff, TensorParams* __restrict__ params,
                                                   int* __restrict__ status) {
  __shared__ unsigned long long rs[kRiceSlots];
  __shared__ int sR;
  const int t = blockIdx.x;
  const TensorDesc T = tensors[t];
  if (T.coding != kRice) return;  // uniform per block
  const int tid = threadIdx.x;
  const int64_t n = T.nChunks * T.k;
  TensorParams* P = params + t;
  if (tid < kRiceSlots) rs[tid] = 0;
  __syncthreads();
  unsigned long long loc[kRiceSlots];
#pragma unroll
  for (int r = 0; r < kRiceSlots; r++) loc[r] = 0;
  for (int64_t ch = tid; ch < T.nChunks; ch += kThreads) {
    const uint32_t* s = riceSums + (T.chunkOff + ch) * kRiceSlots;
#pragma unroll
    for (int r = 0; r < kRiceSlots; r++) loc[r] += s[r];
  }
#pragma unroll
  for (int r = 0; r < kRiceSlots; r++) atomicAdd(&rs[r], loc[r]);
  __syncthreads();
  if (tid == 0) {
    // bits(r) = Σ g>>r + n·(r+1) (bits.ts bestRice)
    int best = 0;
    unsigned long long bestBits = ~0ull;
    for (int r = 0; r <= T.maxR; r++) {
      const unsigned long long bits = rs[r] + (unsigned long long)n * (unsigned long long)(r + 1);
      if (bits < bestBits) {
        bestBits = bits;
        best = r;
      }
    }
    sR = best;
    P->rice = best;
  }
  __syncthreads();
  const int r = sR;
  uint64_t carry = 0;
  for (int64_t b = 0; b < T.nChunks; b += kThreads) {
    const int64_t ch = b + tid;
    const uint64_t bits =
        ch < T.nChunks ? (uint64_t)riceSums[(T.chunkOff + ch) * kRiceSlots + r] + (uint64_t)T.k * (uint64_t)(r + 1) : 0;
    uint64_t tot;
    const uint64_t ex = block_excl_scan(bits, &tot);
    if (ch < T.nChunks) chunkBitOff[T.chunkOff + ch] = carry + ex;
    carry += tot;
  }
  if (tid == 0) {
    P->idxBytes = (carry + 7) / 8;
    if (carry > (uint64_t)T.idxCapWords * 32) report(status, kIdxOverflow, t, 0);
  }
}

__global__ void k_sigma_part(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor, int64_t chunks,
                             const float* __restrict__ vals, const TensorParams* __restrict__ params, double* __restrict__ part) {
  const int64_t gch = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (gch >= chunks) return;
  const int t = chunkTensor[gch];
  const TensorDesc& T = tensors[t];
  const int k = T.k;
  const double shiftd = (double)params[t].shift;
  const float* v = vals + T.keptOff + (gch - T.chunkOff) * k;
  double s = 0.0;
  for (int j = 0; j < k; j++) {
    const double x = __dsub_rn((double)v[j], shiftd);
    s = __dadd_rn(s, __dmul_rn(x, x));
  }
  part[gch] = s;
}

__global__ void __launch_bounds__(kTreeThreads) k_sigma(const TensorDesc* __restrict__ tensors, const double* __restrict__ part,
                                                        TensorParams* __restrict__ params) {
  const int t = blockIdx.x;
  const TensorDesc T = tensors[t];
  double acc[1];
  tree_sum<1>(part + T.chunkOff, T.nChunks, acc);
  if (threadIdx.x == 0) {
    const int64_t n = T.nChunks * T.k;
    params[t].sigma = n > 1 ? __double2float_rn(__dsqrt_rn(__ddiv_rn(acc[0], (double)(n - 1)))) : 0.0f;
  }
}

__global__ void k_codes(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor, int64_t chunks,
                        const float* __restrict__ vals, const TensorParams* __restrict__ params, uint8_t* __restrict__ codes,
                        uint32_t* __restrict__ codeWords, double* __restrict__ lsum, unsigned long long* __restrict__ tcnt) {
  const int64_t gch = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (gch >= chunks) return;
  const int t = chunkTensor[gch];
  const TensorDesc& T = tensors[t];
  const int k = T.k;
  const int64_t ch = gch - T.chunkOff;
  const float sigma = params[t].sigma;
  const double shiftd = (double)params[t].shift;
  const double tq = __dmul_rn(1.5, (double)sigma);
  const int64_t ko = T.keptOff + ch * k;
  const float* v = vals + ko;
  uint32_t* words = codeWords + T.codeWordOff;
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  uint32_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
  const int64_t p0 = ch * k;  // code number within the tensor
  int64_t w = p0 >> 4;
  uint32_t acc = 0;
  for (int j = 0; j < k; j++) {
    const double x = __dsub_rn((double)v[j], shiftd);
    int c;
    if (sigma == 0.0f) c = x >= 0.0 ? 2 : 1;
    else c = x < -tq ? 0 : x < 0.0 ? 1 : x < tq ? 2 : 3;
    codes[ko + j] = (uint8_t)c;
    if (c == 0) { s0 = __dadd_rn(s0, x); n0++; }
    else if (c == 1) { s1 = __dadd_rn(s1, x); n1++; }
    else if (c == 2) { s2 = __dadd_rn(s2, x); n2++; }
    else { s3 = __dadd_rn(s3, x); n3++; }
    const int64_t p = p0 + j;
    if ((p >> 4) != w) {
      if (acc) atomicOr(words + w, acc);
      acc = 0;
      w = p >> 4;
    }
    acc |= (uint32_t)c << ((p & 15) * 2);
  }
  if (acc) atomicOr(words + w, acc);
  double* ls = lsum + gch * 4;
  ls[0] = s0; ls[1] = s1; ls[2] = s2; ls[3] = s3;
  unsigned long long* tc = tcnt + (int64_t)t * 4;
  if (n0) atomicAdd(tc + 0, (unsigned long long)n0);
  if (n1) atomicAdd(tc + 1, (unsigned long long)n1);
  if (n2) atomicAdd(tc + 2, (unsigned long long)n2);
  if (n3) atomicAdd(tc + 3, (unsigned long long)n3);
}

__global__ void __launch_bounds__(kTreeThreads) k_lut(const TensorDesc* __restrict__ tensors, const double* __restrict__ lsum,
                                                      const unsigned long long* __restrict__ tcnt, TensorParams* __restrict__ params) {
  const int t = blockIdx.x;
  const TensorDesc T = tensors[t];
  double S[4];
  tree_sum<4>(lsum + T.chunkOff * 4, T.nChunks, S);
  if (threadIdx.x == 0) {
    TensorParams* P = params + t;
    const float shift = P->shift;
    for (int c = 0; c < 4; c++) {
      const unsigned long long cnt = tcnt[(int64_t)t * 4 + c];
      const float l = cnt ? __double2float_rn(__ddiv_rn(S[c], (double)cnt)) : 0.0f;
      P->lut[c] = l;
      P->deq[c] = __fadd_rn(l, shift);
    }
  }
}

// Warp per chunk: e ← e − deq[code] for the kept values, then the chunk's index bits (each lane
// writes whole codewords at offsets from a warp scan of their lengths).
__global__ void k_finish(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor, int64_t chunks,
                         float* __restrict__ e, const float* __restrict__ vals, const uint16_t* __restrict__ idx,
                         const uint8_t* __restrict__ codes, const TensorParams* __restrict__ params,
                         const uint64_t* __restrict__ chunkBitOff, uint32_t* __restrict__ idxWords, int* __restrict__ status) {
  const int lane = threadIdx.x & 31;
  const int64_t gch = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  if (gch >= chunks) return;  // uniform per warp
  const int t = chunkTensor[gch];
  const TensorDesc& T = tensors[t];
  const int k = T.k, len = T.len;
  const int64_t ch = gch - T.chunkOff;
  const int64_t base = chunk_base(T, ch);
  const int64_t ko = T.keptOff + ch * k;
  const TensorParams& P = params[t];
  bool ok = true;
  for (int j = lane; j < k; j += 32) {
    const int li = idx[ko + j];
    const int prev = j ? (int)idx[ko + j - 1] : -1;
    if (li >= len || li <= prev) {
      ok = false;
      continue;
    }
    e[local_pos(T, base, li)] = __fsub_rn(vals[ko + j], P.deq[codes[ko + j] & 3]);
  }
  if (!__all_sync(0xffffffffu, ok)) {
    if (lane == 0) report(status, kOrder, t, ch);
    return;
  }
  if (T.coding == kDense) return;
  uint32_t* words = idxWords + T.idxWordOff;
  bool overflow = false;
  if (T.coding == kPlain) {
    for (int j = lane; j < k; j += 32) {
      BitSink bs(words, ((uint64_t)ch * (uint64_t)k + (uint64_t)j) * (uint64_t)T.width, T.idxCapWords);
      bs.put(idx[ko + j], T.width);
      bs.finish();
      overflow |= bs.overflow;
    }
  } else {
    const int r = P.rice;
    const uint32_t mask = (1u << r) - 1u;
    uint64_t off = chunkBitOff[gch];
    for (int j0 = 0; j0 < k; j0 += 32) {  // uniform bound
      const int j = j0 + lane;
      const bool in = j < k;
      uint32_t g = 0, bits = 0;
      if (in) {
        const int prev = j ? (int)idx[ko + j - 1] : -1;
        g = (uint32_t)((int)idx[ko + j] - prev - 1);
        bits = (g >> r) + 1u + (uint32_t)r;
      }
      uint32_t incl = bits;
#pragma unroll
      for (int o = 1; o < 32; o <<= 1) {
        const uint32_t n = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += n;
      }
      const uint32_t total = __shfl_sync(0xffffffffu, incl, 31);
      if (in) {
        BitSink bs(words, off + (incl - bits), T.idxCapWords);
        bs.unary(g >> r);
        if (r) bs.put(g & mask, r);
        bs.finish();
        overflow |= bs.overflow;
      }
      off += total;
    }
  }
  if (overflow) report(status, kIdxOverflow, t, ch);
}

// ---------------------------------------------------------------------------------------------
// aggregate kernels

__global__ void __launch_bounds__(kThreads) k_norms(const TensorDesc* __restrict__ tensors, const PeerDevice* __restrict__ peers,
                                                    int maxPeers, double* __restrict__ norms) {
  __shared__ unsigned long long cnt[4];
  const int t = blockIdx.x, p = blockIdx.y;
  const TensorDesc T = tensors[t];
  const PeerDevice pd = peers[p];
  const int tid = threadIdx.x;
  if (tid < 4) cnt[tid] = 0;
  __syncthreads();
  const int64_t n = T.nChunks * T.k;
  const int64_t words = (n + 15) / 16;
  const uint32_t* cw = pd.codeWords + T.codeWordOff;
  unsigned long long c1 = 0, c2 = 0, c3 = 0;
  for (int64_t w = tid; w < words; w += kThreads) {
    uint32_t x = cw[w];
    if (w == words - 1 && (n & 15)) x &= (1u << (2 * (n & 15))) - 1u;  // codes past n do not count
    const uint32_t lo = x & 0x55555555u, hi = (x >> 1) & 0x55555555u;
    c3 += __popc(lo & hi);
    c2 += __popc(hi & ~lo);
    c1 += __popc(lo & ~hi);
  }
  atomicAdd(&cnt[1], c1);
  atomicAdd(&cnt[2], c2);
  atomicAdd(&cnt[3], c3);
  __syncthreads();
  if (tid == 0) {
    const TensorParams& P = pd.params[t];
    const unsigned long long c[4] = {(unsigned long long)n - cnt[1] - cnt[2] - cnt[3], cnt[1], cnt[2], cnt[3]};
    double s = 0.0;
    for (int q = 0; q < 4; q++) {
      const float d = __fadd_rn(P.lut[q], P.shift);
      const double dd = __dmul_rn((double)d, (double)d);
      s = __dadd_rn(s, __dmul_rn((double)c[q], dd));
    }
    norms[(int64_t)t * maxPeers + p] = __dsqrt_rn(s);
  }
}

__global__ void k_scales(int nTensors, int nPeers, int maxPeers, const PeerDevice* __restrict__ peers,
                         const double* __restrict__ norms, float* __restrict__ w) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= nTensors) return;
  double srt[kMaxPeers];
  const double* nt = norms + (int64_t)t * maxPeers;
  for (int p = 0; p < nPeers; p++) {  // insertion sort, ascending
    const double v = nt[p];
    int i = p;
    while (i > 0 && srt[i - 1] > v) {
      srt[i] = srt[i - 1];
      i--;
    }
    srt[i] = v;
  }
  const double med = srt[(nPeers - 1) / 2];
  for (int p = 0; p < nPeers; p++) {
    const double x = __ddiv_rn(med, __dadd_rn(nt[p], 1e-8));
    const float sc = __double2float_rn(x < 1.0 ? x : 1.0);  // std::min(1.0, x)
    const TensorParams& P = peers[p].params[t];
    float* wp = w + ((int64_t)t * maxPeers + p) * 4;
    for (int c = 0; c < 4; c++) wp[c] = __fmul_rn(__fadd_rn(P.lut[c], P.shift), sc);
  }
}

__global__ void __launch_bounds__(kThreads) k_scatter(const TensorDesc* __restrict__ tensors, const int* __restrict__ chunkTensor,
                                                      const PeerDevice* __restrict__ peers, int nPeers, int maxPeers,
                                                      const float* __restrict__ w, float* __restrict__ update,
                                                      float* __restrict__ theta, float lr, bool prefetch, bool vec,
                                                      int* __restrict__ status) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t gch = blockIdx.x;
  const int t = chunkTensor[gch];
  const TensorDesc T = tensors[t];
  const int64_t ch = gch - T.chunkOff;
  const int len = T.len, k = T.k;
  float* ssum = reinterpret_cast<float*>(smem);
  uint16_t* scnt = reinterpret_cast<uint16_t*>(smem + (size_t)len * 4);
  const int tid = threadIdx.x;
  for (int l = tid; l < len; l += kThreads) {
    ssum[l] = 0.0f;
    scnt[l] = 0;
  }
  __syncthreads();
  const int64_t ko = T.keptOff + ch * k;
  const int64_t q0 = ch * k;
  // all peers' indices and codes of this chunk in one pass (every load in flight together), so
  // the peer-ordered rounds below touch shared memory only
  uint16_t* sI = reinterpret_cast<uint16_t*>(smem + (((size_t)len * 6 + 15) & ~(size_t)15));
  uint8_t* sC = reinterpret_cast<uint8_t*>(sI + (size_t)nPeers * k);
  if (prefetch) {
    for (int x = tid; x < nPeers * k; x += kThreads) {
      const int p = x / k, j = x - p * k;
      const PeerDevice pd = peers[p];
      const int64_t q = q0 + j;
      sI[x] = pd.indices[ko + j];
      sC[x] = (uint8_t)((pd.codeWords[T.codeWordOff + (q >> 4)] >> ((q & 15) * 2)) & 3u);
    }
    __syncthreads();
  }
  for (int p = 0; p < nPeers; p++) {
    const float* wp = w + ((int64_t)t * maxPeers + p) * 4;
    const PeerDevice pd = peers[p];
    const uint32_t* cw = pd.codeWords + T.codeWordOff;
    for (int j = tid; j < k; j += kThreads) {
      int li, c;
      if (prefetch) {
        li = sI[p * k + j];
        c = sC[p * k + j];
      } else {
        const int64_t q = q0 + j;
        li = pd.indices[ko + j];
        c = (int)((cw[q >> 4] >> ((q & 15) * 2)) & 3u);
      }
      if (li >= len) {
        report(status, kBadIndex, t, ch);
        continue;
      }
      ssum[li] = __fadd_rn(ssum[li], wp[c]);
      scnt[li] = (uint16_t)(scnt[li] + 1);
    }
    __syncthreads();  // peers add in order
  }
  // dense update (if asked for) and the outer step; θ is only touched where a peer sent a value
  // when lr ≥ 0 (there u = +0 and θ − fl(lr·(+0)) = θ bit for bit)
  const int64_t base = chunk_base(T, ch);
  const bool touchAll = !(lr >= 0.0f) || isinf(lr);
  if (vec && (T.c2 & 3) == 0 && (T.cols & 3) == 0 && (T.elemOff & 3) == 0) {
    const int q2 = T.c2 >> 2;
    for (int qi = tid; qi < (len >> 2); qi += kThreads) {
      const int r = qi / q2;
      const int l = qi << 2;
      const int64_t pos = base + (int64_t)r * T.cols + ((qi - r * q2) << 2);
      float u[4];
      int c[4];
#pragma unroll
      for (int i = 0; i < 4; i++) {
        c[i] = scnt[l + i];
        u[i] = ssum[l + i];
        if (c[i] > 1) u[i] = __fdiv_rn(u[i], (float)c[i]);
      }
      if (update) *reinterpret_cast<float4*>(update + pos) = make_float4(u[0], u[1], u[2], u[3]);
      if (theta) {
#pragma unroll
        for (int i = 0; i < 4; i++)
          if (touchAll || c[i] > 0) theta[pos + i] = __fsub_rn(theta[pos + i], __fmul_rn(lr, u[i]));
      }
    }
  } else {
    for (int l = tid; l < len; l += kThreads) {
      const int c = scnt[l];
      float u = ssum[l];
      if (c > 1) u = __fdiv_rn(u, (float)c);
      const int64_t pos = local_pos(T, base, l);
      if (update) update[pos] = u;
      if (theta && (touchAll || c > 0)) theta[pos] = __fsub_rn(theta[pos], __fmul_rn(lr, u));
    }
  }
}

__global__ void k_apply(float* __restrict__ theta, const float* __restrict__ u, int64_t n, float lr) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    theta[i] = __fsub_rn(theta[i], __fmul_rn(lr, u[i]));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// host side

#define CK(x)                                                                                              \
  do {                                                                                                     \
    cudaError_t e_ = (x);                                                                                  \
    if (e_ != cudaSuccess) {                                                                               \
      if (err) *err = std::string(#x) + ": " + cudaGetErrorString(e_) + " (" __FILE__ ":" + std::to_string(__LINE__) + ")"; \
      return false;                                                                                        \
    }                                                                                                      \
  } while (0)

#define CK_LAUNCH(what) CK(cudaGetLastError())

int index_width(int len) {
  int b = 0;
  while ((1 << b) < len) b++;
  return b;
}

bool make_plan(const std::vector<std::vector<int64_t>>& shapes, const codec::Params& p, bool plainIndices, Plan& plan,
               std::string* err) {
  plan = Plan();
  plan.params = p;
  plan.plainIndices = plainIndices;
  plan.shapes = shapes;
  for (size_t i = 0; i < shapes.size(); i++) {
    codec::Layout L;
    if (!codec::layout_for(shapes[i], p, L, err)) return false;
    if (L.nChunks > kMaxTensorChunks) {
      if (err) *err = "tensor " + std::to_string(i) + ": " + std::to_string(L.nChunks) + " chunks, above the GPU codec's " +
                      std::to_string(kMaxTensorChunks) + " (the depth of its summation tree)";
      return false;
    }
    if (L.len > kMaxLen) {
      if (err) *err = "tensor " + std::to_string(i) + ": chunk of " + std::to_string(L.len) + " elements is above the GPU codec's " +
                      std::to_string(kMaxLen);
      return false;
    }
    TensorDesc d{};
    d.rows = L.rows;
    d.cols = L.cols;
    d.perRow = L.perRow;
    d.nChunks = L.nChunks;
    d.numel = L.numel;
    d.c1 = L.c1;
    d.c2 = L.c2;
    d.len = L.len;
    d.k = L.k;
    d.width = index_width(L.len);
    d.maxR = std::min(kMaxRice, d.width);
    d.coding = L.k == L.len ? kDense : plainIndices ? kPlain : kRice;
    d.elemOff = plan.numel;
    d.chunkOff = plan.chunks;
    d.keptOff = plan.kept;
    const int64_t n = L.nChunks * L.k;
    d.codeWordOff = plan.codeWords;
    plan.codeWords += (n + 15) / 16;
    int64_t capBits = 0;
    if (d.coding == kPlain) capBits = n * d.width;
    if (d.coding == kRice) {
      // every r bounds the chosen r's size: Σ g>>r ≤ (len − k)>>r per chunk
      capBits = INT64_MAX;
      for (int r = 0; r <= d.maxR; r++)
        capBits = std::min<int64_t>(capBits, L.nChunks * ((int64_t)L.k * (r + 1) + ((int64_t)(L.len - L.k) >> r)));
    }
    d.idxWordOff = plan.idxWords;
    d.idxCapWords = (capBits + 31) / 32;
    plan.idxWords += d.idxCapWords;
    plan.tensors.push_back(d);
    plan.numel += L.numel;
    plan.chunks += L.nChunks;
    plan.kept += n;
    plan.maxLen = std::max(plan.maxLen, L.len);
  }
  if (plan.chunks > 0x7fffffff) {
    if (err) *err = "too many chunks for one launch";
    return false;
  }
  return true;
}

template <class T>
static bool dalloc(T** p, size_t n, std::string* err) {
  CK(cudaMalloc((void**)p, std::max<size_t>(1, n) * sizeof(T)));
  return true;
}

static bool upload_plan(const Plan& plan, TensorDesc** dT, int** dCT, std::string* err) {
  if (!dalloc(dT, plan.tensors.size(), err) || !dalloc(dCT, plan.chunks, err)) return false;
  std::vector<int> ct(plan.chunks);
  for (size_t t = 0; t < plan.tensors.size(); t++)
    for (int64_t c = 0; c < plan.tensors[t].nChunks; c++) ct[plan.tensors[t].chunkOff + c] = (int)t;
  CK(cudaMemcpy(*dT, plan.tensors.data(), plan.tensors.size() * sizeof(TensorDesc), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(*dCT, ct.data(), ct.size() * sizeof(int), cudaMemcpyHostToDevice));
  return true;
}

static void mark(bool on, cudaEvent_t* ev, int& n, int cap, cudaStream_t s) {
  if (!on || n >= cap) return;
  if (!ev[n]) cudaEventCreate(&ev[n]);
  cudaEventRecord(ev[n], s);
  n++;
}

static std::vector<std::pair<std::string, float>> read_steps(const cudaEvent_t* ev, int n, const char* const* names,
                                                             cudaStream_t s) {
  std::vector<std::pair<std::string, float>> out;
  if (n < 2) return out;
  cudaStreamSynchronize(s);
  for (int i = 1; i < n; i++) {
    float ms = 0;
    cudaEventElapsedTime(&ms, ev[i - 1], ev[i]);
    out.emplace_back(names[i - 1], ms);
  }
  return out;
}

static size_t smem_for(int maxLen) { return ((size_t)maxLen * 6 + 15) & ~(size_t)15; }

Encoder::~Encoder() {
  for (cudaEvent_t e : ev_)
    if (e) cudaEventDestroy(e);
  cudaFree(d_tensors_);
  cudaFree(d_chunkTensor_);
  cudaFree(d_vals_);
  cudaFree(d_idx_);
  cudaFree(d_codes_);
  cudaFree(d_part_);
  cudaFree(d_lsum_);
  cudaFree(d_tcnt_);
  if (fork_) cudaEventDestroy(fork_);
  if (join_) cudaEventDestroy(join_);
  if (side_) cudaStreamDestroy(side_);
  cudaFree(d_riceSums_);
  cudaFree(d_chunkBitOff_);
  cudaFree(d_codeWords_);
  cudaFree(d_idxWords_);
  cudaFree(d_params_);
  cudaFree(d_status_);
}

bool Encoder::init(const Plan& plan, std::string* err) {
  plan_ = plan;
  const size_t C = plan.chunks, K = plan.kept;
  if (!upload_plan(plan, &d_tensors_, &d_chunkTensor_, err)) return false;
  if (!dalloc(&d_vals_, K, err) || !dalloc(&d_idx_, K, err) || !dalloc(&d_codes_, K, err) || !dalloc(&d_part_, C, err) ||
      !dalloc(&d_lsum_, C * 4, err) || !dalloc(&d_tcnt_, plan.tensors.size() * 4, err) || !dalloc(&d_riceSums_, C * kRiceSlots, err) ||
      !dalloc(&d_chunkBitOff_, C, err) || !dalloc(&d_codeWords_, plan.codeWords, err) || !dalloc(&d_idxWords_, plan.idxWords, err) ||
      !dalloc(&d_params_, plan.tensors.size(), err) || !dalloc(&d_status_, 4, err))
    return false;
  CK(cudaMemset(d_riceSums_, 0, std::max<size_t>(1, C * kRiceSlots) * sizeof(uint32_t)));
  CK(cudaMemset(d_chunkBitOff_, 0, std::max<size_t>(1, C) * sizeof(uint64_t)));
  CK(cudaMemset(d_params_, 0, std::max<size_t>(1, plan.tensors.size()) * sizeof(TensorParams)));
  CK(cudaStreamCreateWithFlags(&side_, cudaStreamNonBlocking));
  CK(cudaEventCreateWithFlags(&fork_, cudaEventDisableTiming));
  CK(cudaEventCreateWithFlags(&join_, cudaEventDisableTiming));
  selectSmem_ = 16;
  for (const TensorDesc& d : plan.tensors) selectSmem_ = std::max(selectSmem_, (((size_t)d.len * 4 + (size_t)d.k * 2) + 15) & ~(size_t)15);
  if (selectSmem_ > 48 * 1024) {
    CK(cudaFuncSetAttribute(k_select<0>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)selectSmem_));
    CK(cudaFuncSetAttribute(k_select<1>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)selectSmem_));
    CK(cudaFuncSetAttribute(k_select<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)selectSmem_));
  }
  return true;
}

bool Encoder::encode(float* e, const float* delta, cudaStream_t s, std::string* err) {
  const Plan& P = plan_;
  const int T = (int)P.tensors.size();
  if (T == 0 || P.chunks == 0) return true;
  const int per = 128;
  const unsigned gridC = (unsigned)((P.chunks + per - 1) / per);
  nev_ = 0;
  mark(profile_, ev_, nev_, 10, s);
  CK(cudaMemsetAsync(d_status_, 0, 4 * sizeof(int), s));
  CK(cudaMemsetAsync(d_codeWords_, 0, std::max<int64_t>(1, P.codeWords) * 4, s));
  CK(cudaMemsetAsync(d_idxWords_, 0, std::max<int64_t>(1, P.idxWords) * 4, s));
  CK(cudaMemsetAsync(d_tcnt_, 0, (size_t)T * 4 * sizeof(unsigned long long), s));
  mark(profile_, ev_, nev_, 10, s);
  // 16-byte accesses only on 16-byte aligned buffers
  const bool vec = ((uintptr_t)e & 15) == 0 && ((uintptr_t)delta & 15) == 0;
  if (variant_ == 2)
    k_select<2><<<(unsigned)P.chunks, kThreads, selectSmem_, s>>>(d_tensors_, d_chunkTensor_, e, delta, P.params.beta, vec, d_vals_,
                                                                   d_idx_, d_status_);
  else if (variant_ == 1)
    k_select<1><<<(unsigned)P.chunks, kThreads, selectSmem_, s>>>(d_tensors_, d_chunkTensor_, e, delta, P.params.beta, vec, d_vals_,
                                                                   d_idx_, d_status_);
  else
    k_select<0><<<(unsigned)P.chunks, kThreads, selectSmem_, s>>>(d_tensors_, d_chunkTensor_, e, delta, P.params.beta, vec, d_vals_,
                                                                   d_idx_, d_status_);
  CK_LAUNCH(k_select);
  mark(profile_, ev_, nev_, 10, s);
  k_chunk_stats<<<gridC, per, 0, s>>>(d_tensors_, d_chunkTensor_, P.chunks, d_vals_, d_idx_, d_part_, d_riceSums_);
  CK_LAUNCH(k_chunk_stats);
  mark(profile_, ev_, nev_, 10, s);
  // Rice parameter and chunk bit offsets need only the chunk stats: side stream
  CK(cudaEventRecord(fork_, s));
  CK(cudaStreamWaitEvent(side_, fork_, 0));
  k_rice<<<T, kThreads, 0, side_>>>(d_tensors_, d_riceSums_, d_chunkBitOff_, d_params_, d_status_);
  CK_LAUNCH(k_rice);
  CK(cudaEventRecord(join_, side_));
  k_shift<<<T, kTreeThreads, 0, s>>>(d_tensors_, d_part_, d_params_);
  CK_LAUNCH(k_shift);
  mark(profile_, ev_, nev_, 10, s);
  k_sigma_part<<<gridC, per, 0, s>>>(d_tensors_, d_chunkTensor_, P.chunks, d_vals_, d_params_, d_part_);
  CK_LAUNCH(k_sigma_part);
  mark(profile_, ev_, nev_, 10, s);
  k_sigma<<<T, kTreeThreads, 0, s>>>(d_tensors_, d_part_, d_params_);
  CK_LAUNCH(k_sigma);
  mark(profile_, ev_, nev_, 10, s);
  k_codes<<<gridC, per, 0, s>>>(d_tensors_, d_chunkTensor_, P.chunks, d_vals_, d_params_, d_codes_, d_codeWords_, d_lsum_, d_tcnt_);
  CK_LAUNCH(k_codes);
  mark(profile_, ev_, nev_, 10, s);
  k_lut<<<T, kTreeThreads, 0, s>>>(d_tensors_, d_lsum_, d_tcnt_, d_params_);
  CK_LAUNCH(k_lut);
  mark(profile_, ev_, nev_, 10, s);
  CK(cudaStreamWaitEvent(s, join_, 0));
  k_finish<<<(unsigned)((P.chunks * 32 + kThreads - 1) / kThreads), kThreads, 0, s>>>(d_tensors_, d_chunkTensor_, P.chunks, e, d_vals_, d_idx_, d_codes_, d_params_, d_chunkBitOff_,
                                 d_idxWords_, d_status_);
  CK_LAUNCH(k_finish);
  mark(profile_, ev_, nev_, 10, s);
  return true;
}

std::vector<std::pair<std::string, float>> Encoder::steps(cudaStream_t s) {
  static const char* const names[] = {"memset", "select", "chunk_stats", "shift", "sigma_part", "sigma", "codes", "lut", "finish"};
  return read_steps(ev_, nev_, names, s);
}

static bool read_status(const int* d_status, cudaStream_t s, const Plan& plan, const char* who, std::string* err) {
  int st[4] = {0, 0, 0, 0};
  CK(cudaMemcpyAsync(st, d_status, sizeof st, cudaMemcpyDeviceToHost, s));
  CK(cudaStreamSynchronize(s));
  if (st[0] != kOk) {
    if (err) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s: %s (tensor %d, chunk %d)", who, status_text(st[0]), st[1], st[2]);
      *err = buf;
    }
    return false;
  }
  return true;
}

bool Encoder::check(cudaStream_t s, std::string* err) { return read_status(d_status_, s, plan_, "encode", err); }

bool Encoder::fetch(std::vector<HostEncoded>& out, cudaStream_t s, std::string* err) {
  const Plan& P = plan_;
  const size_t T = P.tensors.size();
  std::vector<TensorParams> params(T);
  std::vector<uint16_t> idx(P.kept);
  std::vector<uint8_t> codes(P.kept);
  std::vector<uint32_t> cw(P.codeWords), iw(P.idxWords);
  CK(cudaMemcpyAsync(params.data(), d_params_, T * sizeof(TensorParams), cudaMemcpyDeviceToHost, s));
  CK(cudaMemcpyAsync(idx.data(), d_idx_, P.kept * 2, cudaMemcpyDeviceToHost, s));
  CK(cudaMemcpyAsync(codes.data(), d_codes_, P.kept, cudaMemcpyDeviceToHost, s));
  CK(cudaMemcpyAsync(cw.data(), d_codeWords_, P.codeWords * 4, cudaMemcpyDeviceToHost, s));
  CK(cudaMemcpyAsync(iw.data(), d_idxWords_, P.idxWords * 4, cudaMemcpyDeviceToHost, s));
  CK(cudaStreamSynchronize(s));
  out.assign(T, HostEncoded());
  for (size_t t = 0; t < T; t++) {
    const TensorDesc& d = P.tensors[t];
    HostEncoded& h = out[t];
    h.p = params[t];
    const int64_t n = d.nChunks * d.k;
    h.indices.assign(idx.begin() + d.keptOff, idx.begin() + d.keptOff + n);
    h.codes.assign(codes.begin() + d.keptOff, codes.begin() + d.keptOff + n);
    const uint8_t* cb = reinterpret_cast<const uint8_t*>(cw.data() + d.codeWordOff);
    const uint8_t* ib = reinterpret_cast<const uint8_t*>(iw.data() + d.idxWordOff);
    if (h.p.codeBytes > (uint64_t)((n + 15) / 16) * 4 || h.p.idxBytes > (uint64_t)d.idxCapWords * 4) {
      if (err) *err = "fetch: tensor " + std::to_string(t) + " section sizes exceed their reserved space";
      return false;
    }
    h.codeSection.assign(cb, cb + h.p.codeBytes);
    h.idxSection.assign(ib, ib + h.p.idxBytes);
  }
  return true;
}

Aggregator::~Aggregator() {
  for (cudaEvent_t e : ev_)
    if (e) cudaEventDestroy(e);
  cudaFree(d_tensors_);
  cudaFree(d_chunkTensor_);
  cudaFree(d_peers_);
  cudaFree(d_norms_);
  cudaFree(d_w_);
  cudaFree(d_status_);
}

bool Aggregator::init(const Plan& plan, int maxPeers, std::string* err) {
  if (maxPeers < 1 || maxPeers > kMaxPeers) {
    if (err) *err = "aggregate: peers must be 1…" + std::to_string(kMaxPeers);
    return false;
  }
  plan_ = plan;
  maxPeers_ = maxPeers;
  const size_t T = plan.tensors.size();
  if (!upload_plan(plan, &d_tensors_, &d_chunkTensor_, err)) return false;
  if (!dalloc(&d_peers_, maxPeers, err) || !dalloc(&d_norms_, T * maxPeers, err) || !dalloc(&d_w_, T * maxPeers * 4, err) ||
      !dalloc(&d_status_, 4, err))
    return false;
  int maxK = 0;
  for (const TensorDesc& d : plan.tensors) maxK = std::max(maxK, d.k);
  const size_t pre = smem_for(plan.maxLen) + ((size_t)maxPeers * maxK * 3 + 15) / 16 * 16;
  prefetch_ = pre <= 160 * 1024;
  scatterSmem_ = prefetch_ ? pre : smem_for(plan.maxLen);
  if (scatterSmem_ > 48 * 1024) CK(cudaFuncSetAttribute(k_scatter, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)scatterSmem_));
  return true;
}

bool Aggregator::run(const std::vector<PeerDevice>& peers, float* update, float* theta, float lr, cudaStream_t s, std::string* err) {
  const int P = (int)peers.size();
  if (P < 1 || P > maxPeers_) {
    if (err) *err = "aggregate: " + std::to_string(P) + " peers, this aggregator takes 1…" + std::to_string(maxPeers_);
    return false;
  }
  const int T = (int)plan_.tensors.size();
  if (T == 0) return true;
  CK(cudaMemsetAsync(d_status_, 0, 4 * sizeof(int), s));
  CK(cudaMemcpyAsync(d_peers_, peers.data(), P * sizeof(PeerDevice), cudaMemcpyHostToDevice, s));
  nev_ = 0;
  mark(profile_, ev_, nev_, 4, s);
  k_norms<<<dim3(T, P), kThreads, 0, s>>>(d_tensors_, d_peers_, maxPeers_, d_norms_);
  CK_LAUNCH(k_norms);
  mark(profile_, ev_, nev_, 4, s);
  k_scales<<<(T + 63) / 64, 64, 0, s>>>(T, P, maxPeers_, d_peers_, d_norms_, d_w_);
  CK_LAUNCH(k_scales);
  mark(profile_, ev_, nev_, 4, s);
  k_scatter<<<(unsigned)plan_.chunks, kThreads, scatterSmem_, s>>>(d_tensors_, d_chunkTensor_, d_peers_, P, maxPeers_, d_w_, update,
                                                                   theta, lr, prefetch_, ((uintptr_t)update & 15) == 0, d_status_);
  CK_LAUNCH(k_scatter);
  mark(profile_, ev_, nev_, 4, s);
  return true;
}

std::vector<std::pair<std::string, float>> Aggregator::steps(cudaStream_t s) {
  static const char* const names[] = {"norms", "scales", "scatter"};
  return read_steps(ev_, nev_, names, s);
}

bool Aggregator::check(cudaStream_t s, std::string* err) { return read_status(d_status_, s, plan_, "aggregate", err); }

void apply_update(float* theta, const float* update, int64_t n, float lr, cudaStream_t s) {
  if (n <= 0) return;
  const int64_t blocks = std::min<int64_t>((n + 255) / 256, 65535);
  k_apply<<<(unsigned)blocks, 256, 0, s>>>(theta, update, n, lr);
}

// ---------------------------------------------------------------------------------------------
// host packers (src/codec/bits.ts)

namespace {
struct HostBits {
  std::vector<uint8_t> buf;
  uint64_t acc = 0;
  int nacc = 0;
  void write(uint32_t v, int n) {  // n ≤ 24
    acc |= (uint64_t)(v & ((1u << n) - 1u)) << nacc;
    nacc += n;
    while (nacc >= 8) {
      buf.push_back((uint8_t)(acc & 0xff));
      acc >>= 8;
      nacc -= 8;
    }
  }
  void unary(uint32_t q) {
    while (q >= 24) {
      write(0xffffff, 24);
      q -= 24;
    }
    write((1u << q) - 1u, (int)q + 1);
  }
  std::vector<uint8_t> finish() {
    if (nacc > 0) write(0, 8 - nacc);
    return buf;
  }
};
}  // namespace

std::vector<uint8_t> host_pack_codes(const uint8_t* codes, int64_t n) {
  std::vector<uint8_t> out((n + 3) / 4, 0);
  for (int64_t j = 0; j < n; j++) out[j >> 2] |= (uint8_t)((codes[j] & 3) << ((j & 3) * 2));
  return out;
}

std::vector<uint8_t> host_pack_plain(const uint16_t* idx, int64_t n, int width) {
  HostBits w;
  if (width > 0)
    for (int64_t j = 0; j < n; j++) w.write(idx[j], width);
  return w.finish();
}

int host_best_rice(const uint16_t* idx, int64_t n, int k, int maxR) {
  std::vector<double> sums(maxR + 1, 0.0);
  for (int64_t ch = 0; ch < n; ch += k) {
    int prev = -1;
    for (int64_t j = ch; j < ch + k; j++) {
      const uint32_t g = (uint32_t)(idx[j] - prev - 1);
      prev = idx[j];
      for (int r = 0; r <= maxR; r++) sums[r] += (double)(g >> r);
    }
  }
  int best = 0;
  double bestBits = 1e300;
  for (int r = 0; r <= maxR; r++) {
    const double bits = sums[r] + (double)n * (r + 1);
    if (bits < bestBits) {
      bestBits = bits;
      best = r;
    }
  }
  return best;
}

std::vector<uint8_t> host_pack_rice(const uint16_t* idx, int64_t n, int k, int r) {
  HostBits w;
  const uint32_t mask = (1u << r) - 1u;
  for (int64_t ch = 0; ch < n; ch += k) {
    int prev = -1;
    for (int64_t j = ch; j < ch + k; j++) {
      const uint32_t g = (uint32_t)(idx[j] - prev - 1);
      prev = idx[j];
      w.unary(g >> r);
      if (r) w.write(g & mask, r);
    }
  }
  return w.finish();
}

}  // namespace gpucodec
}  // namespace loco
