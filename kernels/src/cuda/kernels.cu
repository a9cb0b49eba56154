// Element-wise and reduction kernels of the CUDA backend (ops.cuh).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include "ops.cuh"

// test/kernels_emu.cpp compiles the kernels below on the host (LOCO_CUDA_EMULATE: one std::thread
// per CUDA thread) and leaves out the launchers.
#ifndef LOCO_CUDA_EMULATE
#include <cooperative_groups.h>
#define DYN_SMEM(type, name) extern __shared__ type name[]
// thread block clusters of 2 (sm_90 and later): rank, barrier, the partner's shared memory. Compiled
// for an earlier GPU (a build for several, the Makefile's CUDA_ARCH) they trap; k_crossentropy picks
// the cluster kernel only on compute capability 9.0 or later.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
#define CLUSTER2
__device__ __forceinline__ unsigned cl_rank() { __trap(); return 0; }
__device__ __forceinline__ void cl_sync() { __trap(); }
template <typename X>
__device__ __forceinline__ X* cl_map(X* p, unsigned) {
  __trap();
  return p;
}
#else
#define CLUSTER2 __cluster_dims__(2, 1, 1)
__device__ __forceinline__ unsigned cl_rank() { return cooperative_groups::this_cluster().block_rank(); }
__device__ __forceinline__ void cl_sync() { cooperative_groups::this_cluster().sync(); }
template <typename X>
__device__ __forceinline__ X* cl_map(X* p, unsigned rank) {
  return cooperative_groups::this_cluster().map_shared_rank(p, rank);
}
#endif
#endif

namespace {

// ---- 16-byte vectors of T as floats (4 fp32 or 8 bf16) and 4-element stores ----------------------
template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
  static constexpr int N = 4;
  __device__ __forceinline__ static void load(const float* p, float* o) {
    const float4 v = *(const float4*)p;
    o[0] = v.x; o[1] = v.y; o[2] = v.z; o[3] = v.w;
  }
  __device__ __forceinline__ static void store(float* p, const float* o) { *(float4*)p = make_float4(o[0], o[1], o[2], o[3]); }
};
template <>
struct Vec16<bf16> {
  static constexpr int N = 8;
  union U {
    uint4 u;
    __nv_bfloat162 h[4];
  };
  __device__ __forceinline__ static void load(const bf16* p, float* o) {
    U v;
    v.u = *(const uint4*)p;
#pragma unroll
    for (int k = 0; k < 4; k++) {
      const float2 f = __bfloat1622float2(v.h[k]);
      o[2 * k] = f.x;
      o[2 * k + 1] = f.y;
    }
  }
  __device__ __forceinline__ static void store(bf16* p, const float* o) {
    U v;
#pragma unroll
    for (int k = 0; k < 4; k++) v.h[k] = __floats2bfloat162_rn(o[2 * k], o[2 * k + 1]);
    *(uint4*)p = v.u;
  }
};
// 4 consecutive T from a float4 (16 bytes for fp32, 8 for bf16)
__device__ __forceinline__ void store4(float* p, float4 v) { *(float4*)p = v; }
__device__ __forceinline__ void store4(bf16* p, float4 v) {
  union {
    uint2 u;
    __nv_bfloat162 h[2];
  } w;
  w.h[0] = __floats2bfloat162_rn(v.x, v.y);
  w.h[1] = __floats2bfloat162_rn(v.z, v.w);
  *(uint2*)p = w.u;
}
// 4 consecutive values as a float4: one 16-byte load of fp32, one 8-byte load of bf16 (exact)
__device__ __forceinline__ float4 load4(const float* p) { return *(const float4*)p; }
__device__ __forceinline__ float4 load4(const bf16* p) {
  union {
    uint2 u;
    __nv_bfloat162 h[2];
  } w;
  w.u = *(const uint2*)p;
  return make_float4(__bfloat162float(w.h[0].x), __bfloat162float(w.h[0].y), __bfloat162float(w.h[1].x),
                     __bfloat162float(w.h[1].y));
}
// 8 consecutive T from two float4 (lo: columns 0-3, hi: 4-7), the same roundings as store4; for bf16
// one 16-byte store, so a warp's store covers whole 32-byte sectors (two 8-byte store4 from lanes
// 16 bytes apart each cover half of every sector they touch)
__device__ __forceinline__ void store8(float* p, float4 lo, float4 hi) {
  store4(p, lo);
  store4(p + 4, hi);
}
__device__ __forceinline__ void store8(bf16* p, float4 lo, float4 hi) {
  const float o[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
  Vec16<bf16>::store(p, o);
}

__global__ void embed_forward_kernel(float* out, const float* E, const int* x, int N, int d) {
  pdl_begin();
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * d) return;
  const size_t i = idx / d, j = idx % d;
  out[idx] = E[(size_t)x[i] * d + j];
}

__global__ void embed_forward_vec_kernel(float4* out, const float4* E, const int* x, int N, int d4) {
  pdl_begin();
  const unsigned n = (unsigned)N * d4;
  for (unsigned idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const unsigned i = idx / d4, j = idx % d4;
    out[idx] = E[(size_t)x[i] * d4 + j];
  }
}

__global__ void embed_backward_kernel(float* dE, const float* dres, const int* uniq, const int* starts, const int* pos,
                                      int d) {
  pdl_begin();
  const int u = blockIdx.x;
  const int tok = uniq[u], a = starts[u], b = starts[u + 1];
  for (int j = blockIdx.y * blockDim.x + threadIdx.x; j < d; j += gridDim.y * blockDim.x) {
    float acc = 0.f;
    for (int p = a; p < b; p++) acc += dres[(size_t)pos[p] * d + j];
    dE[(size_t)tok * d + j] += acc;
  }
}

// One warp per row.
template <typename T>
__global__ void rmsnorm_forward_kernel(T* out, float* rstd, const float* x, const float* g, int N, int C, float eps) {
  pdl_begin();
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const float* xr = x + (size_t)row * C;
  float ss = 0.f;
  for (int j = lane; j < C; j += 32) ss += xr[j] * xr[j];
  ss = warp_sum(ss);
  const float r = 1.0f / sqrtf(ss / C + eps);
  if (lane == 0) rstd[row] = r;
  T* o = out + (size_t)row * C;
  for (int j = lane; j < C; j += 32) o[j] = from_f<T>(xr[j] * r * g[j]);
}

// DY: the type of the incoming gradient dy (float, or bf16 with LOCO_CUDA_NORM_DY=bf16); read as float
template <typename T, typename DY = float>
__global__ void rmsnorm_backward_kernel(float* dres, T* dres_act, const DY* dy, const float* x, const float* g,
                                        const float* rstd, int N, int C, bool overwrite) {
  pdl_begin();
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const size_t o = (size_t)row * C;
  float dot = 0.f;
  for (int j = lane; j < C; j += 32) dot += g[j] * to_f(dy[o + j]) * x[o + j];
  dot = warp_sum(dot);
  const float r = rstd[row];
  const float coef = dot * r * r * r / C;
  for (int j = lane; j < C; j += 32) {
    const float v = (overwrite ? 0.f : dres[o + j]) + (r * g[j] * to_f(dy[o + j]) - coef * x[o + j]);
    dres[o + j] = v;
    dres_act[o + j] = from_f<T>(v);
  }
}

constexpr int DG_ROWS = 128;
template <typename DY = float>
__global__ void rmsnorm_dg_partial_kernel(float* scratch, const DY* dy, const float* x, const float* rstd, int N,
                                          int C) {
  pdl_begin();
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= C) return;
  const int r0 = blockIdx.y * DG_ROWS, r1 = min(N, r0 + DG_ROWS);
  float acc = 0.f;
  for (int r = r0; r < r1; r++) acc += to_f(dy[(size_t)r * C + j]) * x[(size_t)r * C + j] * rstd[r];
  scratch[(size_t)blockIdx.y * C + j] = acc;
}

template <typename T>
__global__ void rope_kernel(T* qkv, const float* cs, const float* sn, int B, int Tn, int H, int hd, float sign) {
  pdl_begin();
  const int half = hd / 2;
  const size_t total = (size_t)B * Tn * H * half;
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  const int i = (int)(idx % half);
  const int h = (int)((idx / half) % H);
  const size_t row = idx / ((size_t)half * H);  // b·T + t
  const int t = (int)(row % Tn);
  const float c = cs[(size_t)t * half + i], s = sign * sn[(size_t)t * half + i];
  const size_t d = (size_t)H * hd;
#pragma unroll
  for (int part = 0; part < 2; part++) {  // q, then k
    T* u = qkv + row * 3 * d + part * d + (size_t)h * hd;
    const float a = to_f(u[i]), b = to_f(u[i + half]);
    u[i] = from_f<T>(a * c - b * s);
    u[i + half] = from_f<T>(b * c + a * s);
  }
}

template <typename T>
__global__ void swiglu_forward_kernel(T* s, const T* gu, int N, int F) {
  pdl_begin();
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * F) return;
  const size_t r = idx / F, j = idx % F;
  const float g = to_f(gu[r * 2 * F + j]), u = to_f(gu[r * 2 * F + F + j]);
  const float sg = 1.0f / (1.0f + expf(-g));
  s[idx] = from_f<T>(g * sg * u);
}

template <typename T>
__global__ void swiglu_backward_kernel(T* dgu, const T* ds, const T* gu, int N, int F) {
  pdl_begin();
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * F) return;
  const size_t r = idx / F, j = idx % F;
  const float g = to_f(gu[r * 2 * F + j]), u = to_f(gu[r * 2 * F + F + j]);
  const float d = to_f(ds[idx]);
  const float sg = 1.0f / (1.0f + expf(-g));
  dgu[r * 2 * F + F + j] = from_f<T>(d * g * sg);
  dgu[r * 2 * F + j] = from_f<T>(d * u * sg * (1.0f + g * (1.0f - sg)));
}

// The cross-entropy's exponentials. A thread keeps (m, s): m the largest logit it has seen, s the sum of
// e^(l − m). CeNatExp (the default) takes expf of each difference; CeExp2 (LOCO_CUDA_CE=exp2, the bf16
// kernel only) the same sums in base 2, s = Σ 2^(l·log2e − o(m)) with the offset o(m) = m·log2e rounded
// once: one fused multiply-add and the SFU's ex2 (ce_ex2) per logit instead of expf's ten-odd
// instructions, and o(m)'s rounding cancels between the sum and its logsumexp.
struct CeNatExp {
  __device__ static __forceinline__ float offset(float m) { return m; }
  __device__ static __forceinline__ float exp_at(float l, float o) { return expf(l - o); }     // e^(l − m)
  __device__ static __forceinline__ float exp_between(float o1, float o2) { return expf(o1 - o2); }  // e^(m1 − m2)
  __device__ static __forceinline__ float log_sum(float o, float s) { return o + logf(s); }  // lse, in o's units
  __device__ static __forceinline__ float natural(float lse) { return lse; }
};
// 2^x by the SFU's ex2 with results below FLT_MIN flushed to zero (a probability under 1e-38 adds
// nothing to a sum that holds 1 for the largest logit); the emulator takes the host's exp2f, flushed
#ifdef LOCO_CUDA_EMULATE
__device__ __forceinline__ float ce_ex2(float x) {
  const float r = exp2f(x);
  return r < FLT_MIN ? 0.f : r;
}
#else
__device__ __forceinline__ float ce_ex2(float x) {
  float r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}
#endif
struct CeExp2 {
  static constexpr float LOG2E = 1.4426950408889634f, LN2 = 0.6931471805599453f;
  __device__ static __forceinline__ float offset(float m) { return __fmul_rn(m, LOG2E); }
  __device__ static __forceinline__ float exp_at(float l, float o) { return ce_ex2(fmaf(l, LOG2E, -o)); }
  __device__ static __forceinline__ float exp_between(float o1, float o2) { return ce_ex2(o1 - o2); }
  __device__ static __forceinline__ float log_sum(float o, float s) { return o + log2f(s); }
  __device__ static __forceinline__ float natural(float lse2) { return __fmul_rn(lse2, LN2); }
};
// Combines the (running max m, Σexp s) pairs of a warp's lanes (xor butterfly: every lane ends
// with the warp's pair; the same order in every cross-entropy kernel, so their results agree).
template <typename E = CeNatExp>
__device__ __forceinline__ void ce_warp_combine(float& m, float& s) {
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
    const float mm = fmaxf(m, m2);
    s = (m == -INFINITY ? 0.f : s * E::exp_between(E::offset(m), E::offset(mm))) +
        (m2 == -INFINITY ? 0.f : s2 * E::exp_between(E::offset(m2), E::offset(mm)));
    m = mm;
  }
}

// One block per row: online max/Σexp, then the loss and (optionally) the gradient in one more pass.
constexpr int CE_THREADS = 512;

// L: the logits' type (float, or bf16 with LOCO_CUDA_LOGITS=bf16)
template <typename T, typename L = float>
__global__ void __launch_bounds__(CE_THREADS) crossentropy_kernel(const L* logits, T* dlogits, float* row_loss,
                                                                  const int* y, int V, int Vp, float scale) {
  pdl_begin();
  const int r = blockIdx.x;
  const L* l = logits + (size_t)r * Vp;
  float m = -INFINITY, s = 0.f;
  for (int j = threadIdx.x; j < V; j += CE_THREADS) {
    const float v = to_f(l[j]);
    if (v > m) {
      s = s * expf(m - v) + 1.0f;
      m = v;
    } else {
      s += expf(v - m);
    }
  }
  // combine (m, s) pairs: warp, then across warps
  ce_warp_combine(m, s);
  __shared__ float sm_m[CE_THREADS / 32], sm_s[CE_THREADS / 32];
  __shared__ float sh_lse;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    sm_m[w] = m;
    sm_s[w] = s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float M = -INFINITY;
    for (int i = 0; i < CE_THREADS / 32; i++) M = fmaxf(M, sm_m[i]);
    float S = 0.f;
    for (int i = 0; i < CE_THREADS / 32; i++)
      if (sm_m[i] != -INFINITY) S += sm_s[i] * expf(sm_m[i] - M);
    const float lse = M + logf(S);
    sh_lse = lse;
    row_loss[r] = lse - to_f(l[y[r]]);
  }
  __syncthreads();
  if (!dlogits) return;
  const float lse = sh_lse;
  const int tgt = y[r];
  T* dl = dlogits + (size_t)r * Vp;
  for (int j = threadIdx.x; j < Vp; j += CE_THREADS) {
    float v = 0.f;
    if (j < V) v = (expf(to_f(l[j]) - lse) - (j == tgt ? 1.0f : 0.0f)) * scale;
    dl[j] = from_f<T>(v);
  }
}

// ---- vectorized variants (16-byte rows; the launchers fall back to the kernels above otherwise) ----

// RMSNorm forward, one warp per row, float4 loads (C % 4 == 0, 16-byte aligned rows).
template <typename T>
__global__ void rmsnorm_forward_vec_kernel(T* out, float* rstd, const float* x, const float* g, int N, int C,
                                           float eps) {
  pdl_begin();
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const int C4 = C / 4;
  const float4* x4 = (const float4*)(x + (size_t)row * C);
  float ss = 0.f;
#pragma unroll 4
  for (int q = lane; q < C4; q += 32) {
    const float4 v = x4[q];
    ss += v.x * v.x;
    ss += v.y * v.y;
    ss += v.z * v.z;
    ss += v.w * v.w;
  }
  ss = warp_sum(ss);
  const float r = 1.0f / sqrtf(ss / C + eps);
  if (lane == 0) rstd[row] = r;
  const float4* g4 = (const float4*)g;
  T* o = out + (size_t)row * C;
#pragma unroll 4
  for (int q = lane; q < C4; q += 32) {
    const float4 v = x4[q], gg = g4[q];
    store4(o + 4 * q, make_float4(v.x * r * gg.x, v.y * r * gg.y, v.z * r * gg.z, v.w * r * gg.w));
  }
}

// RMSNorm backward with the norm-scale gradient's partial sums fused in. Block b owns rows
// [b·RB_ROWS, (b+1)·RB_ROWS); warp w takes rows w, w + RB_WARPS, … of them and accumulates
// dy·x·rstd per column in its own shared-memory row (lane-owned columns: no races); at the end the
// block adds its warps' rows in warp order into part[b, :]. rmsnorm_dg_final_kernel adds the blocks
// in block order: fixed order throughout, no atomics (deterministic).
constexpr int RB_WARPS = 8, RB_ROWS = 64;
// one float4 of a row: dot += g·dy·x; and the update: the residual gradient (stored, with its T copy)
// and the warp's norm-scale sums acc. The same operations in both row strategies below
__device__ __forceinline__ void rb_dot4(float& dot, const float4 a, const float4 b, const float4 c) {
  dot += a.x * b.x * c.x;
  dot += a.y * b.y * c.y;
  dot += a.z * b.z * c.z;
  dot += a.w * b.w * c.w;
}
template <typename T>
__device__ __forceinline__ void rb_update4(float4* dr, T* da, const float4 a, const float4 b, const float4 c,
                                           const float4 d, float r, float coef, float4* accq) {
  float4 v;
  v.x = d.x + (r * a.x * b.x - coef * c.x);
  v.y = d.y + (r * a.y * b.y - coef * c.y);
  v.z = d.z + (r * a.z * b.z - coef * c.z);
  v.w = d.w + (r * a.w * b.w - coef * c.w);
  *dr = v;
  store4(da, v);
  float4 acc = *accq;
  acc.x += b.x * c.x * r;
  acc.y += b.y * c.y * r;
  acc.z += b.z * c.z * r;
  acc.w += b.w * c.w * r;
  *accq = acc;
}
// V4 = 0: each warp streams its row twice, dot product then update (any width). V4 > 0 (rows up to
// 32·V4 float4 wide; the default for every width up to 2048 since 2026-11-26, after h100-6): lane L
// keeps the float4 columns L, L + 32, … of the row's dy, x and dres in registers, all loaded before
// the dot product, so a row is read from memory once and all its loads are in flight together. The
// streaming version reads dy and x a second time in its update loop and loads dres there: at 1b's
// width (a 16 KB row of dy and x per warp, 64 KB of shared memory per block) those re-reads miss L1,
// and h100-6 measured 13.5 ms of norms per 1b step against ≈ 8 ms to move their bytes once. The same
// rows per warp and the same operations in the same order, so the same bits (kernels-emu). DY: the
// type of dy (bf16 with LOCO_CUDA_NORM_DY=bf16: half its bytes, each value widened exactly to float).
template <typename T, int V4 = 0, typename DY = float>
__global__ void __launch_bounds__(RB_WARPS * 32) rmsnorm_backward_dg_kernel(float* dres, T* dres_act, float* part,
                                                                           const DY* dy, const float* x,
                                                                           const float* g, const float* rstd, int N,
                                                                           int C, bool overwrite) {
  pdl_begin();
  DYN_SMEM(float4, rb_acc4);  // [RB_WARPS][C/4]
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int C4 = C / 4;
  float4* accw = rb_acc4 + (size_t)w * C4;
  for (int q = lane; q < C4; q += 32) accw[q] = make_float4(0.f, 0.f, 0.f, 0.f);
  const float4* g4 = (const float4*)g;
  const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
  const int r0 = blockIdx.x * RB_ROWS, r1 = min(N, r0 + RB_ROWS);
  for (int row = r0 + w; row < r1; row += RB_WARPS) {
    const size_t o = (size_t)row * C;
    const DY* dyr = dy + o;
    const float4* x4 = (const float4*)(x + o);
    float4* dr4 = (float4*)(dres + o);
    T* da = dres_act + o;
    if constexpr (V4 == 0) {
      float dot = 0.f;
#pragma unroll 4
      for (int q = lane; q < C4; q += 32) rb_dot4(dot, g4[q], load4(dyr + 4 * q), x4[q]);
      dot = warp_sum(dot);
      const float r = rstd[row];
      const float coef = dot * r * r * r / C;
#pragma unroll 2
      for (int q = lane; q < C4; q += 32)
        rb_update4(dr4 + q, da + 4 * q, g4[q], load4(dyr + 4 * q), x4[q], overwrite ? zero : dr4[q], r, coef, accw + q);
    } else {
      float4 b[V4], c[V4], d[V4];
#pragma unroll
      for (int k = 0; k < V4; k++) {
        const int q = lane + 32 * k;
        if (q < C4) {
          b[k] = load4(dyr + 4 * q);
          c[k] = x4[q];
          d[k] = overwrite ? zero : dr4[q];
        }
      }
      float dot = 0.f;
#pragma unroll
      for (int k = 0; k < V4; k++)
        if (lane + 32 * k < C4) rb_dot4(dot, g4[lane + 32 * k], b[k], c[k]);
      dot = warp_sum(dot);
      const float r = rstd[row];
      const float coef = dot * r * r * r / C;
#pragma unroll
      for (int k = 0; k < V4; k++) {
        const int q = lane + 32 * k;
        if (q < C4) rb_update4(dr4 + q, da + 4 * q, g4[q], b[k], c[k], d[k], r, coef, accw + q);
      }
    }
  }
  __syncthreads();
  const float* acc = (const float*)rb_acc4;
  float* pb = part + (size_t)blockIdx.x * C;
  for (int j = threadIdx.x; j < C; j += RB_WARPS * 32) {
    float sum = 0.f;
#pragma unroll
    for (int k = 0; k < RB_WARPS; k++) sum += acc[(size_t)k * C + j];
    pb[j] = sum;
  }
}

// Calls f(std::integral_constant<int, V4>{}) with the fewest float4 per lane that hold a row of C
// floats (V4 of 1, 2, 4, 6, 8, 12, 16: one instantiation of rmsnorm_backward_dg_kernel each) and
// returns what f returns; false for rows wider than 2048. The launcher and test/kernels_emu.cpp both
// choose the rows kernel through it.
template <int V4, int... MORE, typename F>
bool rb_with_v4(int C, F&& f) {
  if ((C / 4 + 31) / 32 <= V4) return f(std::integral_constant<int, V4>{});
  if constexpr (sizeof...(MORE) > 0) return rb_with_v4<MORE...>(C, f);
  else return false;
}
template <typename F>
bool rb_with_v4(int C, F&& f) {
  return rb_with_v4<1, 2, 4, 6, 8, 12, 16>(C, f);
}

// dg[j] += Σ_c part[c, j], c in order: thread (tx, ty) sums c = ty, ty + 8, … (in order), then the
// 8 sums are added in ty order. Block: 32 columns × 8. With dg_off, several norms at once: row y of
// the grid adds partials part + y·part_stride into dg + dg_off[y] (the same sums as a launch each).
__global__ void __launch_bounds__(256) rmsnorm_dg_reduce_kernel(float* dg, const float* part, int chunks, int C,
                                                                bool dg_overwrite = false,
                                                                const size_t* dg_off = nullptr,
                                                                size_t part_stride = 0) {
  pdl_begin();
  if (dg_off) {
    dg += dg_off[blockIdx.y];
    part += blockIdx.y * part_stride;
  }
  __shared__ float sh[8][33];
  const int tx = threadIdx.x % 32, ty = threadIdx.x / 32;
  const int j = blockIdx.x * 32 + tx;
  float acc = 0.f;
  if (j < C)
    for (int c = ty; c < chunks; c += 8) acc += part[(size_t)c * C + j];
  sh[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && j < C) {
    float s = 0.f;
#pragma unroll
    for (int k = 0; k < 8; k++) s += sh[k][tx];
    dg[j] = dg_overwrite ? s : dg[j] + s;  // overwrite: the first backward after zero_grad (no memset)
  }
}

// RoPE on 16-byte pieces: a thread takes VEC consecutive i of one head (q and k), half % VEC == 0.
template <typename T>
__global__ void rope_vec_kernel(T* qkv, const float* cs, const float* sn, unsigned total, int Tn, int H, int hd,
                                float sign) {
  pdl_begin();
  constexpr int VEC = Vec16<T>::N;
  const int half = hd / 2, nc = half / VEC;
  const size_t d = (size_t)H * hd;
  for (unsigned idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const int c = (int)(idx % nc);
    const int h = (int)((idx / nc) % H);
    const unsigned row = idx / ((unsigned)nc * H);  // b·T + t
    const int t = (int)(row % Tn);
    const int i0 = c * VEC;
    float cv[VEC], sv[VEC];
#pragma unroll
    for (int k = 0; k < VEC; k += 4) {
      const float4 a = *(const float4*)(cs + (size_t)t * half + i0 + k);
      const float4 b = *(const float4*)(sn + (size_t)t * half + i0 + k);
      cv[k] = a.x; cv[k + 1] = a.y; cv[k + 2] = a.z; cv[k + 3] = a.w;
      sv[k] = sign * b.x; sv[k + 1] = sign * b.y; sv[k + 2] = sign * b.z; sv[k + 3] = sign * b.w;
    }
#pragma unroll
    for (int part = 0; part < 2; part++) {  // q, then k
      T* u = qkv + (size_t)row * 3 * d + part * d + (size_t)h * hd + i0;
      float a[VEC], b[VEC], oa[VEC], ob[VEC];
      Vec16<T>::load(u, a);
      Vec16<T>::load(u + half, b);
#pragma unroll
      for (int k = 0; k < VEC; k++) {
        oa[k] = a[k] * cv[k] - b[k] * sv[k];
        ob[k] = b[k] * cv[k] + a[k] * sv[k];
      }
      Vec16<T>::store(u, oa);
      Vec16<T>::store(u + half, ob);
    }
  }
}

// SwiGLU on 16-byte pieces (F % VEC == 0), grid-stride.
template <typename T>
__global__ void swiglu_forward_vec_kernel(T* s, const T* gu, int N, int F) {
  pdl_begin();
  constexpr int VEC = Vec16<T>::N;
  const unsigned FV = F / VEC, n = (unsigned)N * FV;
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const size_t r = i / FV, j = (size_t)(i % FV) * VEC;
    float g[VEC], u[VEC], o[VEC];
    Vec16<T>::load(gu + r * 2 * F + j, g);
    Vec16<T>::load(gu + r * 2 * F + F + j, u);
#pragma unroll
    for (int k = 0; k < VEC; k++) {
      const float sg = 1.0f / (1.0f + expf(-g[k]));
      o[k] = g[k] * sg * u[k];
    }
    Vec16<T>::store(s + r * F + j, o);
  }
}
template <typename T>
__global__ void swiglu_backward_vec_kernel(T* dgu, const T* ds, const T* gu, int N, int F) {
  pdl_begin();
  constexpr int VEC = Vec16<T>::N;
  const unsigned FV = F / VEC, n = (unsigned)N * FV;
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const size_t r = i / FV, j = (size_t)(i % FV) * VEC;
    float g[VEC], u[VEC], d[VEC], og[VEC], ou[VEC];
    Vec16<T>::load(gu + r * 2 * F + j, g);
    Vec16<T>::load(gu + r * 2 * F + F + j, u);
    Vec16<T>::load(ds + r * F + j, d);
#pragma unroll
    for (int k = 0; k < VEC; k++) {
      const float sg = 1.0f / (1.0f + expf(-g[k]));
      ou[k] = d[k] * g[k] * sg;
      og[k] = d[k] * u[k] * sg * (1.0f + g[k] * (1.0f - sg));
    }
    Vec16<T>::store(dgu + r * 2 * F + F + j, ou);
    Vec16<T>::store(dgu + r * 2 * F + j, og);
  }
}

// Cross-entropy (the loss, and the gradient when dlogits is set; eval uses the same kernel, so the
// loss bits match) reading each fp32 logit row once: the row is staged in dynamic
// shared memory (Vp·4 bytes; ~201 KB for Vp = 50304, so one block per SM) while each thread keeps an
// online (max, Σexp) over the real vocabulary; then the block combines them and writes dlogits from
// shared memory (4 columns per thread: 16-byte fp32 / 8-byte bf16 stores). Needs Vp % 4 == 0 and
// 16-byte aligned rows (the launcher checks; otherwise the two-pass kernel above).
constexpr int CE1_THREADS = 1024;
// CHECK = false: the caller knows columns j … j+3 are all real vocabulary (j + 4 ≤ V), so the
// column tests drop out; the same operations on the same values otherwise, so the same bits.
template <bool CHECK = true, typename E = CeNatExp>
__device__ __forceinline__ void ce_online4(const float4 a, int j, int V, float& m, float& s) {
  const float v[4] = {a.x, a.y, a.z, a.w};
  float mx = -INFINITY;
#pragma unroll
  for (int k = 0; k < 4; k++)
    if (!CHECK || j + k < V) mx = fmaxf(mx, v[k]);
  if (mx == -INFINITY) return;  // no real-vocabulary column here (or all −inf)
  if (mx > m) {
    s = s * E::exp_between(E::offset(m), E::offset(mx));  // m = −inf: e^(−inf) = 0 and s = 0
    m = mx;
  }
  const float o = E::offset(m);
#pragma unroll
  for (int k = 0; k < 4; k++)
    if (!CHECK || j + k < V) s += E::exp_at(v[k], o);
}
// A block's (max, Σexp): each warp combines its lanes, lane 0 parks the warp's pair in red[w] and
// red[NWARPS + w], and after the barrier thread 0 folds the warps in order into (M, S) (meaningful
// in thread 0 only). Every cross-entropy kernel folds in this order, so their results agree.
template <int NWARPS, typename E = CeNatExp>
__device__ __forceinline__ void ce_block_combine(float m, float s, float* red, float& M, float& S) {
  ce_warp_combine<E>(m, s);
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    red[w] = m;
    red[NWARPS + w] = s;
  }
  __syncthreads();
  M = -INFINITY;
  S = 0.f;
  if (threadIdx.x != 0) return;
  for (int k = 0; k < NWARPS; k++) M = fmaxf(M, red[k]);
  for (int k = 0; k < NWARPS; k++)
    if (red[k] != -INFINITY) S += red[NWARPS + k] * E::exp_between(E::offset(red[k]), E::offset(M));
}
// dlogits of columns j … j+3: (softmax − onehot(tgt))·scale, 0 from column V on (CHECK as in ce_online4);
// lse in E's units (E::log_sum)
template <bool CHECK = true, typename E = CeNatExp>
__device__ __forceinline__ float4 ce_grad4(const float4 a, int j, int V, int tgt, float lse, float scale) {
  float4 o;
  o.x = !CHECK || j < V ? (E::exp_at(a.x, lse) - (j == tgt ? 1.0f : 0.0f)) * scale : 0.f;
  o.y = !CHECK || j + 1 < V ? (E::exp_at(a.y, lse) - (j + 1 == tgt ? 1.0f : 0.0f)) * scale : 0.f;
  o.z = !CHECK || j + 2 < V ? (E::exp_at(a.z, lse) - (j + 2 == tgt ? 1.0f : 0.0f)) * scale : 0.f;
  o.w = !CHECK || j + 3 < V ? (E::exp_at(a.w, lse) - (j + 3 == tgt ? 1.0f : 0.0f)) * scale : 0.f;
  return o;
}
template <typename T>
__global__ void __launch_bounds__(CE1_THREADS, 1) crossentropy_smem_kernel(const float* logits, T* dlogits,
                                                                          float* row_loss, const int* y, int V, int Vp,
                                                                          float scale) {
  pdl_begin();
  DYN_SMEM(float4, ce_row4);  // [Vp/4] the row, then 2·32 + 1 floats of reduction scratch
  float* row = (float*)ce_row4;
  float* red = row + Vp;
  const int r = blockIdx.x;
  const float4* l4 = (const float4*)(logits + (size_t)r * Vp);
  const int n4 = Vp / 4;
  float m = -INFINITY, s = 0.f;
  int i = threadIdx.x;
  for (; i + 3 * CE1_THREADS < n4; i += 4 * CE1_THREADS) {  // four 16-byte loads in flight per thread
    float4 a[4];
#pragma unroll
    for (int u = 0; u < 4; u++) a[u] = __ldcs(l4 + i + u * CE1_THREADS);
#pragma unroll
    for (int u = 0; u < 4; u++) {
      if (dlogits) ce_row4[i + u * CE1_THREADS] = a[u];
      ce_online4(a[u], 4 * (i + u * CE1_THREADS), V, m, s);
    }
  }
  for (; i < n4; i += CE1_THREADS) {
    const float4 a = __ldcs(l4 + i);
    if (dlogits) ce_row4[i] = a;
    ce_online4(a, 4 * i, V, m, s);
  }
  float M, S;
  ce_block_combine<CE1_THREADS / 32>(m, s, red, M, S);  // its barrier: the whole row is in shared memory too
  const int tgt = y[r];
  if (threadIdx.x == 0) {
    const float lse = M + logf(S);
    red[64] = lse;
    row_loss[r] = lse - logits[(size_t)r * Vp + tgt];
  }
  __syncthreads();
  if (!dlogits) return;  // the loss only (eval): same kernel, so the same loss bits as with the gradient
  const float lse = red[64];
  T* dl = dlogits + (size_t)r * Vp;
  for (int q = threadIdx.x; q < n4; q += CE1_THREADS) {  // conflict-free float4 reads of the row
    store4(dl + 4 * q, ce_grad4(ce_row4[q], 4 * q, V, tgt, lse, scale));
  }
}

// The same with the row split between the two blocks of a cluster (opt-in, LOCO_CUDA_CE=cluster):
// each block stages half the row (~100 KB), so two blocks fit on an SM and one block's loads overlap
// the other's stores. Each block reduces its half to (max, Σexp); after a cluster barrier every
// thread of both blocks reads both pairs (distributed shared memory) and combines them in rank
// order, so both blocks compute the same logsumexp.
constexpr int CE2_THREADS = 512;
template <typename T>
__global__ void CLUSTER2 __launch_bounds__(CE2_THREADS, 2)
    crossentropy_cluster_kernel(const float* logits, T* dlogits, float* row_loss, const int* y, int V, int Vp,
                                float scale) {
  pdl_begin();
  DYN_SMEM(float4, ce_half4);  // [h] this block's half of the row, then 2·16 + 2 floats of reduction scratch
  const unsigned rank = cl_rank();
  const int r = blockIdx.x / 2;
  const int n4 = Vp / 4, h = (n4 + 1) / 2;
  const int q0 = rank ? h : 0, q1 = rank ? n4 : h;
  float* red = (float*)(ce_half4 + h);
  const float4* l4 = (const float4*)(logits + (size_t)r * Vp);
  float m = -INFINITY, s = 0.f;
  int i = q0 + (int)threadIdx.x;
  for (; i + 3 * CE2_THREADS < q1; i += 4 * CE2_THREADS) {
    float4 a[4];
#pragma unroll
    for (int u = 0; u < 4; u++) a[u] = __ldcs(l4 + i + u * CE2_THREADS);
#pragma unroll
    for (int u = 0; u < 4; u++) {
      if (dlogits) ce_half4[i - q0 + u * CE2_THREADS] = a[u];
      ce_online4(a[u], 4 * (i + u * CE2_THREADS), V, m, s);
    }
  }
  for (; i < q1; i += CE2_THREADS) {
    const float4 a = __ldcs(l4 + i);
    if (dlogits) ce_half4[i - q0] = a;
    ce_online4(a, 4 * i, V, m, s);
  }
  {
    float M, S;
    ce_block_combine<CE2_THREADS / 32>(m, s, red, M, S);
    if (threadIdx.x == 0) {
      red[32] = M;
      red[33] = S;
    }
  }
  cl_sync();  // both blocks' (M, S) are written
  const float* ra = cl_map(red, 0u);
  const float* rb = cl_map(red, 1u);
  const float M0 = ra[32], S0 = ra[33], M1 = rb[32], S1 = rb[33];
  cl_sync();  // both blocks have read them: neither leaves while the other may still read its memory
  const float M = fmaxf(M0, M1);
  const float S = (M0 == -INFINITY ? 0.f : S0 * expf(M0 - M)) + (M1 == -INFINITY ? 0.f : S1 * expf(M1 - M));
  const float lse = M + logf(S);
  const int tgt = y[r];
  if (rank == 0 && threadIdx.x == 0) row_loss[r] = lse - logits[(size_t)r * Vp + tgt];
  if (!dlogits) return;
  T* dl = dlogits + (size_t)r * Vp;
  for (int q = q0 + (int)threadIdx.x; q < q1; q += CE2_THREADS) {
    store4(dl + 4 * q, ce_grad4(ce_half4[q - q0], 4 * q, V, tgt, lse, scale));
  }
}

// Cross-entropy over bf16 logits (the bf16-precision default since h100-6; the head matmul writes
// bf16, as under PyTorch's autocast): the row staged as bf16 in shared memory (2·Vp bytes, ~100 KB at
// gpt2's vocabulary, so two blocks fit on an SM), 16-byte loads of 8 logits, the same online
// max/Σexp (ce_online4) and gradient (ce_grad4) as crossentropy_smem_kernel, in fp32. Kept apart
// from that kernel on purpose: one template for both compiled the bf16 one to 2,504 instructions
// instead of these 1,768 (kernel_stats.py), and only these were measured.
constexpr int CE16_THREADS = 512;
// cp.async of 16 bytes, global → shared (L2 only: the logits are read once), and the wait for all of
// the thread's copies; test/kernels_emu.cpp runs them as late as the hardware may (poison at the
// issue, the data at the wait)
#ifdef LOCO_CUDA_EMULATE
void emu_ce_cp_async16(void* dst, const void* src);
void emu_ce_cp_async_wait_all();
__device__ __forceinline__ void ce_cp_async16(void* dst, const void* src) { emu_ce_cp_async16(dst, src); }
__device__ __forceinline__ void ce_cp_async_wait_all() { emu_ce_cp_async_wait_all(); }
#else
__device__ __forceinline__ void ce_cp_async16(void* dst, const void* src) {
  const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src) : "memory");
}
__device__ __forceinline__ void ce_cp_async_wait_all() {
  asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;\n" ::: "memory");
}
#endif
__device__ __forceinline__ void ce_unpack8(const uint4 u, float4& lo, float4& hi) {
  union {
    uint4 u;
    __nv_bfloat162 h[4];
  } w;
  w.u = u;
  const float2 a = __bfloat1622float2(w.h[0]), b = __bfloat1622float2(w.h[1]), c = __bfloat1622float2(w.h[2]),
               d = __bfloat1622float2(w.h[3]);
  lo = make_float4(a.x, a.y, b.x, b.y);
  hi = make_float4(c.x, c.y, d.x, d.y);
}
// The bf16 kernels' second half, from each thread's (max, Σexp) of the row staged in ce_row8: the
// block's lse, the row's loss, and the dlogits (when asked for) from the staged row.
template <typename T, typename E = CeNatExp>
__device__ __forceinline__ void ce_bf16_finish(const uint4* ce_row8, int r, int n8, float* red, float m, float s,
                                               const bf16* logits, T* dlogits, float* row_loss, const int* y, int V,
                                               int Vp, float scale) {
  constexpr int NW = CE16_THREADS / 32;
  float M, S;
  ce_block_combine<NW, E>(m, s, red, M, S);  // its barrier: the whole row is in shared memory too
  const int tgt = y[r];
  if (threadIdx.x == 0) {
    const float lse = E::log_sum(E::offset(M), S);
    red[2 * NW] = lse;
    row_loss[r] = E::natural(lse) - __bfloat162float(logits[(size_t)r * Vp + tgt]);
  }
  __syncthreads();
  if (!dlogits) return;  // the loss only (eval): same kernel, so the same loss bits as with the gradient
  const float lse = red[2 * NW];
  T* dl = dlogits + (size_t)r * Vp;
  for (int q = threadIdx.x; q < n8; q += CE16_THREADS) {
    float4 lo, hi;
    ce_unpack8(ce_row8[q], lo, hi);
    if (8 * q + 8 <= V)  // all 8 columns real vocabulary
      store8(dl + 8 * q, ce_grad4<false, E>(lo, 8 * q, V, tgt, lse, scale), ce_grad4<false, E>(hi, 8 * q + 4, V, tgt, lse, scale));
    else
      store8(dl + 8 * q, ce_grad4<true, E>(lo, 8 * q, V, tgt, lse, scale), ce_grad4<true, E>(hi, 8 * q + 4, V, tgt, lse, scale));
  }
}
// E: CeNatExp (the default), or CeExp2 (LOCO_CUDA_CE=exp2: the same kernel in base 2)
template <typename T, typename E = CeNatExp>
__global__ void __launch_bounds__(CE16_THREADS, 2) crossentropy_bf16_kernel(const bf16* logits, T* dlogits,
                                                                           float* row_loss, const int* y, int V,
                                                                           int Vp, float scale) {
  pdl_begin();
  DYN_SMEM(uint4, ce_row8);  // [Vp/8] the row, then 2·(CE16_THREADS / 32) + 1 floats of reduction scratch
  const int n8 = Vp / 8;
  float* red = (float*)(ce_row8 + n8);
  const int r = blockIdx.x;
  const uint4* l8 = (const uint4*)(logits + (size_t)r * Vp);
  float m = -INFINITY, s = 0.f;
  int i = threadIdx.x;
  for (; i + 3 * CE16_THREADS < n8; i += 4 * CE16_THREADS) {  // four 16-byte loads in flight per thread
    uint4 a[4];
#pragma unroll
    for (int u = 0; u < 4; u++) a[u] = __ldcs(l8 + i + u * CE16_THREADS);
    // all 32 columns real vocabulary (every chunk of this loop but at most the last, at gpt2's
    // V = 50257 and Vp = 50304): the online step without its column tests
    const bool all_real = 8 * (i + 3 * CE16_THREADS) + 8 <= V;
#pragma unroll
    for (int u = 0; u < 4; u++) {
      if (dlogits) ce_row8[i + u * CE16_THREADS] = a[u];
      float4 lo, hi;
      ce_unpack8(a[u], lo, hi);
      const int j = 8 * (i + u * CE16_THREADS);
      if (all_real) {
        ce_online4<false, E>(lo, j, V, m, s);
        ce_online4<false, E>(hi, j + 4, V, m, s);
      } else {
        ce_online4<true, E>(lo, j, V, m, s);
        ce_online4<true, E>(hi, j + 4, V, m, s);
      }
    }
  }
  for (; i < n8; i += CE16_THREADS) {
    const uint4 a = __ldcs(l8 + i);
    if (dlogits) ce_row8[i] = a;
    float4 lo, hi;
    ce_unpack8(a, lo, hi);
    ce_online4<true, E>(lo, 8 * i, V, m, s);
    ce_online4<true, E>(hi, 8 * i + 4, V, m, s);
  }
  ce_bf16_finish<T, E>(ce_row8, r, n8, red, m, s, logits, dlogits, row_loss, y, V, Vp, scale);
}

// The same with the row's 16-byte pieces copied straight to shared memory by cp.async, every one of
// them issued before the first is waited for (opt-in, LOCO_CUDA_CE=cpasync; written 2026-11-27
// without a GPU): the whole row (98 KB at gpt2's vocabulary) in flight per block, where
// crossentropy_bf16_kernel has 32 KB (four 16-byte loads a thread) in flight per round. In h200-7
// the cross-entropy moved its 3.3 GB per gpt2-124m step (bf16 logits in, dlogits out) in 1.55 ms:
// 2.1 TB/s of the H200's 4.8. Each thread reads back only the pieces it copied, in the order
// crossentropy_bf16_kernel reads them, so no barrier before the online pass and the same bits.
template <typename T>
__global__ void __launch_bounds__(CE16_THREADS, 2) crossentropy_bf16_cp_kernel(const bf16* logits, T* dlogits,
                                                                              float* row_loss, const int* y, int V,
                                                                              int Vp, float scale) {
  pdl_begin();
  DYN_SMEM(uint4, ce_row8);  // as crossentropy_bf16_kernel's
  const int n8 = Vp / 8;
  float* red = (float*)(ce_row8 + n8);
  const int r = blockIdx.x;
  const uint4* l8 = (const uint4*)(logits + (size_t)r * Vp);
  for (int i = threadIdx.x; i < n8; i += CE16_THREADS) ce_cp_async16(ce_row8 + i, l8 + i);
  ce_cp_async_wait_all();
  float m = -INFINITY, s = 0.f;
  for (int i = threadIdx.x; i < n8; i += CE16_THREADS) {
    float4 lo, hi;
    ce_unpack8(ce_row8[i], lo, hi);
    if (8 * i + 8 <= V) {  // all 8 columns real vocabulary: the online step without its column tests
      ce_online4<false>(lo, 8 * i, V, m, s);
      ce_online4<false>(hi, 8 * i + 4, V, m, s);
    } else {
      ce_online4(lo, 8 * i, V, m, s);
      ce_online4(hi, 8 * i + 4, V, m, s);
    }
  }
  ce_bf16_finish<T>(ce_row8, r, n8, red, m, s, logits, dlogits, row_loss, y, V, Vp, scale);
}

// One AdamW element: the same operations and order as adamw.cpp, with explicit roundings (no
// contraction into FMA). Returns the new parameter; m, v updated in place.
__device__ __forceinline__ float adamw_one(float p, float g, float& m, float& v, float lr, float beta1, float beta2,
                                           float eps, float weight_decay, float grad_scale, float bc1, float bc2) {
  const float decay = __fsub_rn(1.0f, __fmul_rn(lr, weight_decay));
  const float gi = __fmul_rn(g, grad_scale);
  const float mi = __fadd_rn(__fmul_rn(beta1, m), __fmul_rn(__fsub_rn(1.0f, beta1), gi));
  const float vi = __fadd_rn(__fmul_rn(beta2, v), __fmul_rn(__fmul_rn(__fsub_rn(1.0f, beta2), gi), gi));
  m = mi;
  v = vi;
  const float mhat = __fdiv_rn(mi, bc1);
  const float vhat = __fdiv_rn(vi, bc2);
  return __fsub_rn(__fmul_rn(p, decay), __fdiv_rn(__fmul_rn(lr, mhat), __fadd_rn(__fsqrt_rn(vhat), eps)));
}
__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, bf16* pcopy, size_t n, float lr, float beta1,
                             float beta2, float eps, float weight_decay, float grad_scale, float bc1, float bc2) {
  pdl_begin();
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float mi = m[i], vi = v[i];
  const float np = adamw_one(p[i], g[i], mi, vi, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  m[i] = mi;
  v[i] = vi;
  p[i] = np;
  if (pcopy) pcopy[i] = __float2bfloat16_rn(np);
}
// The same on 4 elements per thread (16-byte loads and stores; n4 = n / 4, aligned pointers). With
// decay_bits, piece i (elements 4i…4i+3) takes weight_decay where bit i is set and 0 where it is not:
// the whole flat parameter buffer in one launch, each tensor with its own decay (a tensor holds whole
// pieces). 0 gives the same bits as a launch of its own with weight_decay 0 (decay = 1 − lr·0 = 1).
__global__ void adamw_vec_kernel(float4* p, const float4* g, float4* m, float4* v, bf16* pcopy, size_t n4, float lr,
                                 float beta1, float beta2, float eps, float weight_decay, float grad_scale, float bc1,
                                 float bc2, const unsigned* decay_bits = nullptr) {
  pdl_begin();
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n4) return;
  if (decay_bits && !((decay_bits[i / 32] >> (i % 32)) & 1u)) weight_decay = 0.f;
  const float4 pp = p[i], gg = g[i];
  float4 mm = m[i], vv = v[i], np;
  np.x = adamw_one(pp.x, gg.x, mm.x, vv.x, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  np.y = adamw_one(pp.y, gg.y, mm.y, vv.y, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  np.z = adamw_one(pp.z, gg.z, mm.z, vv.z, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  np.w = adamw_one(pp.w, gg.w, mm.w, vv.w, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  m[i] = mm;
  v[i] = vv;
  p[i] = np;
  if (pcopy) store4(pcopy + 4 * i, np);  // round to nearest even per element, as __float2bfloat16_rn
}

// Σ x² in double per block (fixed grid; the host adds the partials in order). 16-byte loads, two
// independent accumulators; the n % 4 tail elements go to the first threads.
__global__ void sum_squares_kernel(double* partial, const float* x, size_t n) {
  pdl_begin();
  const size_t n4 = n / 4, gid = (size_t)blockIdx.x * blockDim.x + threadIdx.x, stride = (size_t)gridDim.x * blockDim.x;
  const float4* x4 = (const float4*)x;
  double a0 = 0, a1 = 0;
#pragma unroll 2
  for (size_t i = gid; i < n4; i += stride) {
    const float4 v = x4[i];
    a0 += (double)v.x * (double)v.x + (double)v.y * (double)v.y;
    a1 += (double)v.z * (double)v.z + (double)v.w * (double)v.w;
  }
  if (gid < n - 4 * n4) a0 += (double)x[4 * n4 + gid] * (double)x[4 * n4 + gid];
  __shared__ double sh[256];
  sh[threadIdx.x] = a0 + a1;
  __syncthreads();
  for (int s = 128; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sh[0];
}

__global__ void to_bf16_kernel(bf16* dst, const float* src, size_t n) {
  pdl_begin();
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = __float2bfloat16_rn(src[i]);
}
// p + alpha·u rounded twice, as the CPU engine computes it (`apply`): nvcc would contract the plain
// expression into one fused multiply-add, whose single rounding differs in the last bit for some
// elements — and a GPU miner's parameters must stay bit-identical to every other peer's after the
// same update (sample_params sync checks)
__global__ void axpy_kernel(float* p, const float* u, float alpha, size_t n) {
  pdl_begin();
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] = __fadd_rn(p[i], __fmul_rn(alpha, u[i]));
}
__global__ void gather_kernel(float* out, const float* p, const uint64_t* idx, size_t n) {
  pdl_begin();
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = p[idx[i]];
}

// The attention backward's D = Σ_c dy·y per (row, head) (one head's hd values): the rows in D's
// [b, h, t] order, so consecutive rows' stores coalesce; LPR = hd / VEC lanes per row (a power of two
// ≤ 32), each loading 16 bytes of y and of dy, then an xor butterfly inside the row's lanes.
template <typename T>
__global__ void attn_bwd_pre_vec_kernel(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd) {
  pdl_begin();
  constexpr int VEC = Vec16<T>::N;
  const int lpr = hd / VEC;
  const size_t g = (size_t)blockIdx.x * blockDim.x + threadIdx.x, rows = (size_t)B * H * Tn;
  const size_t row = g / lpr;
  const int part = (int)(g % lpr);
  float acc = 0.f;
  if (row < rows) {  // no return before the shuffles: every lane of the warp takes part
    const int t = (int)(row % Tn);
    const size_t bh = row / Tn;
    const size_t o = (((bh / H) * Tn + t) * H + bh % H) * hd + (size_t)part * VEC;
    float a[VEC], c[VEC];
    Vec16<T>::load(y + o, a);
    Vec16<T>::load(dy + o, c);
#pragma unroll
    for (int k = 0; k < VEC; k++) acc += c[k] * a[k];
  }
  for (int off = lpr / 2; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (row < rows && part == 0) D[row] = acc;
}

#ifdef LOCO_CUDA_EMULATE
}  // namespace
#else
bool aligned16(const void* p) { return ((uintptr_t)p & 15) == 0; }
// The most dynamic shared memory one block may use on this device (opt-in limit).
size_t smem_optin_limit() {
  static int v = -1;
  if (v < 0) {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  }
  return (size_t)v;
}
// Raises a kernel's dynamic shared memory limit to at least `bytes` (once per size increase);
// false when the device cannot give that much.
template <typename K>
bool allow_smem(K kernel, size_t bytes, size_t& allowed) {
  if (bytes <= allowed) return true;
  if (bytes > smem_optin_limit()) return false;
  if (bytes > 48 * 1024) CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
  allowed = bytes;
  return true;
}
unsigned grid_for(size_t n, int threads) { return (unsigned)std::min<size_t>(cdiv(n, threads), (size_t)1 << 20); }

// LOCO_CUDA_PDL=1 (opt-in): the kernels here launch as programmatic dependent launches on a GPU of
// compute capability 9.0 or later (common.cuh, pdl_begin), so the gap between a kernel and the one ahead
// of it in the stream (a CUDA graph's included) is partly hidden. Elsewhere it is said once on stderr,
// and the kernels launch as usual. k_pdl_enable overrides the variable (gpu-parity runs both ways).
bool g_pdl_set = false, g_pdl_want = false;
bool pdl_asked() {
  static const bool asked = env_picks("LOCO_CUDA_PDL", "0", "1");
  return g_pdl_set ? g_pdl_want : asked;
}
bool pdl_on_here() {
  if (!pdl_asked()) return false;
  static const bool supported = [] {
    if (cuda_device_cc() >= 90) return true;
    fprintf(stderr, "loco-engine: programmatic dependent launch (LOCO_CUDA_PDL=1) needs compute capability 9.0 or later (this GPU is %d.%d); kernels launch as usual\n",
            cuda_device_cc() / 10, cuda_device_cc() % 10);
    return false;
  }();
  return supported;
}
// kernel<<<grid, block, smem, engine_stream()>>>(args...), as a programmatic dependent launch where
// pdl_on_here(): every kernel above calls pdl_begin() first. A launch error is left to the caller's
// CUDA_LAUNCH_CHECK, which names the kernel (the runtime keeps it as its last error; were it not kept,
// it stops here).
template <typename... P, typename... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t smem, A&&... args) {
  cudaLaunchAttribute attr = {};
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = engine_stream();
  cfg.attrs = &attr;
  cfg.numAttrs = pdl_on_here() ? 1 : 0;
  const cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, std::forward<A>(args)...);
  if (e != cudaSuccess && cudaPeekAtLastError() == cudaSuccess) CUDA_CHECK(e);
}

}  // namespace

bool k_pdl_on() { return pdl_on_here(); }
void k_pdl_enable(bool on) {
  g_pdl_set = true;
  g_pdl_want = on;
}

void k_embed_forward(float* out, const float* E, const int* x, int N, int d) {
  if ((size_t)N * d == 0) return;
  if (d % 4 == 0 && aligned16(out) && aligned16(E) && (size_t)N * d / 4 < ((size_t)1 << 31))
    launch(embed_forward_vec_kernel, grid_for((size_t)N * d / 4, 256), 256, 0, (float4*)out, (const float4*)E, x, N, d / 4);
  else
    launch(embed_forward_kernel, cdiv((size_t)N * d, 256), 256, 0, out, E, x, N, d);
  CUDA_LAUNCH_CHECK("embed_forward");
}
void k_embed_backward(float* dE, const float* dres, const int* uniq, const int* starts, const int* pos, int U, int d) {
  if (U == 0) return;
  dim3 grid(U, cdiv(d, 256));
  launch(embed_backward_kernel, grid, 256, 0, dE, dres, uniq, starts, pos, d);
  CUDA_LAUNCH_CHECK("embed_backward");
}
template <typename T>
void k_rmsnorm_forward(T* out, float* rstd, const float* x, const float* g, int N, int C, float eps) {
  if (N == 0) return;
  if (C % 4 == 0 && aligned16(x) && aligned16(g) && ((uintptr_t)out % (4 * sizeof(T))) == 0)
    launch(rmsnorm_forward_vec_kernel<T>, cdiv(N, 8), 256, 0, out, rstd, x, g, N, C, eps);
  else
    launch(rmsnorm_forward_kernel<T>, cdiv(N, 8), 256, 0, out, rstd, x, g, N, C, eps);
  CUDA_LAUNCH_CHECK("rmsnorm_forward");
}
// rmsnorm_backward_dg_kernel<T, V4> (rows in registers), V4 as rb_with_v4 picks it; false where the
// row is wider than 2048 or the shared memory is not granted
template <typename T, typename DY>
bool rmsnorm_backward_rows(float* dres, T* dres_act, float* part, const DY* dy, const float* x, const float* g,
                           const float* rstd, int N, int C, bool overwrite, size_t smem) {
  return rb_with_v4(C, [&](auto v4) {
    constexpr int V4 = decltype(v4)::value;
    static size_t allowed = 48 * 1024;
    if (!allow_smem(rmsnorm_backward_dg_kernel<T, V4, DY>, smem, allowed)) return false;
    launch(rmsnorm_backward_dg_kernel<T, V4, DY>, cdiv(N, RB_ROWS), RB_WARPS * 32, smem, dres, dres_act, part, dy, x, g, rstd,
           N, C, overwrite);
    CUDA_LAUNCH_CHECK("rmsnorm_backward_dg (rows in registers)");
    return true;
  });
}
size_t rmsnorm_dg_scratch(int N, int C) { return (size_t)cdiv(N, RB_ROWS) * C; }  // ≥ cdiv(N, DG_ROWS)·C
template <typename T, typename DY>
unsigned k_rmsnorm_backward(float* dres, T* dres_act, float* dg, float* scratch, const DY* dy, const float* x,
                            const float* g, const float* rstd, int N, int C, bool overwrite, bool dg_overwrite) {
  if (N == 0) return 0;
  static size_t allowed = 48 * 1024;
  const size_t smem = (size_t)RB_WARPS * C * sizeof(float);
  const bool vec = C % 4 == 0 && aligned16(dres) && ((uintptr_t)dy % (4 * sizeof(DY))) == 0 && aligned16(x) && aligned16(g) &&
                   aligned16(scratch) && ((uintptr_t)dres_act % (4 * sizeof(T))) == 0;
  unsigned chunks;
  // LOCO_CUDA_NORM_BWD=reread: the kernel before the rows one (same bits), for a same-run comparison
  static const bool reread = env_is("LOCO_CUDA_NORM_BWD", "reread");
  if (vec && !reread && rmsnorm_backward_rows(dres, dres_act, scratch, dy, x, g, rstd, N, C, overwrite, smem)) {
    chunks = cdiv(N, RB_ROWS);
  } else if (vec && allow_smem(rmsnorm_backward_dg_kernel<T, 0, DY>, smem, allowed)) {
    chunks = cdiv(N, RB_ROWS);
    launch(rmsnorm_backward_dg_kernel<T, 0, DY>, chunks, RB_WARPS * 32, smem, dres, dres_act, scratch, dy, x, g, rstd, N, C,
           overwrite);
    CUDA_LAUNCH_CHECK("rmsnorm_backward_dg");
  } else {
    launch(rmsnorm_backward_kernel<T, DY>, cdiv(N, 8), 256, 0, dres, dres_act, dy, x, g, rstd, N, C, overwrite);
    CUDA_LAUNCH_CHECK("rmsnorm_backward");
    chunks = cdiv(N, DG_ROWS);
    launch(rmsnorm_dg_partial_kernel<DY>, dim3(cdiv(C, 256), chunks), 256, 0, scratch, dy, x, rstd, N, C);
    CUDA_LAUNCH_CHECK("rmsnorm_dg_partial");
  }
  if (!dg) return chunks;  // the caller adds the partials later (k_rmsnorm_dg_reduce_many)
  launch(rmsnorm_dg_reduce_kernel, cdiv(C, 32), 256, 0, dg, scratch, (int)chunks, C, dg_overwrite, nullptr, (size_t)0);
  CUDA_LAUNCH_CHECK("rmsnorm_dg_reduce");
  return chunks;
}
void k_rmsnorm_dg_reduce_many(float* G, const size_t* dg_off, const float* scratch, size_t part_stride, int count,
                              unsigned chunks, int C, bool dg_overwrite) {
  if (count == 0 || chunks == 0) return;
  launch(rmsnorm_dg_reduce_kernel, dim3(cdiv(C, 32), count), 256, 0, G, scratch, (int)chunks, C, dg_overwrite,
         dg_off, part_stride);
  CUDA_LAUNCH_CHECK("rmsnorm_dg_reduce_many");
}
template <typename T>
void k_rope(T* qkv, const float* cs, const float* sn, int B, int Tn, int H, int hd, bool inverse) {
  const int half = hd / 2;
  const size_t total = (size_t)B * Tn * H * half;
  if (total == 0) return;
  const float sign = inverse ? -1.0f : 1.0f;
  constexpr int VEC = Vec16<T>::N;
  if (half % VEC == 0 && total / VEC < ((size_t)1 << 31) && aligned16(qkv) && aligned16(cs) && aligned16(sn)) {
    const size_t n = total / VEC;
    launch(rope_vec_kernel<T>, grid_for(n, 256), 256, 0, qkv, cs, sn, (unsigned)n, Tn, H, hd, sign);
  } else {
    launch(rope_kernel<T>, cdiv(total, 256), 256, 0, qkv, cs, sn, B, Tn, H, hd, sign);
  }
  CUDA_LAUNCH_CHECK("rope");
}
template <typename T>
void k_swiglu_forward(T* s, const T* gu, int N, int F) {
  const size_t n = (size_t)N * F;
  if (n == 0) return;
  constexpr int VEC = Vec16<T>::N;
  if (F % VEC == 0 && n / VEC < ((size_t)1 << 31) && aligned16(s) && aligned16(gu))
    launch(swiglu_forward_vec_kernel<T>, grid_for(n / VEC, 256), 256, 0, s, gu, N, F);
  else
    launch(swiglu_forward_kernel<T>, cdiv(n, 256), 256, 0, s, gu, N, F);
  CUDA_LAUNCH_CHECK("swiglu_forward");
}
template <typename T>
void k_swiglu_backward(T* dgu, const T* ds, const T* gu, int N, int F) {
  const size_t n = (size_t)N * F;
  if (n == 0) return;
  constexpr int VEC = Vec16<T>::N;
  if (F % VEC == 0 && n / VEC < ((size_t)1 << 31) && aligned16(dgu) && aligned16(ds) && aligned16(gu))
    launch(swiglu_backward_vec_kernel<T>, grid_for(n / VEC, 256), 256, 0, dgu, ds, gu, N, F);
  else
    launch(swiglu_backward_kernel<T>, cdiv(n, 256), 256, 0, dgu, ds, gu, N, F);
  CUDA_LAUNCH_CHECK("swiglu_backward");
}
template <typename T>
bool k_attention_bwd_pre_vec(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd) {
  constexpr int VEC = Vec16<T>::N;
  const int lpr = hd / VEC;
  const size_t threads = (size_t)B * H * Tn * lpr;
  if (hd % VEC || lpr < 1 || lpr > 32 || (lpr & (lpr - 1)) || !aligned16(y) || !aligned16(dy)) return false;
  if (threads == 0) return true;
  launch(attn_bwd_pre_vec_kernel<T>, cdiv(threads, 256), 256, 0, D, y, dy, B, Tn, H, hd);
  CUDA_LAUNCH_CHECK("attn_bwd_pre_vec");
  return true;
}
template <typename T>
void k_crossentropy(const float* logits, T* dlogits, float* row_loss, const int* y, int R, int V, int Vp, float scale) {
  if (R == 0) return;
  static size_t allowed = 48 * 1024;
  const size_t smem = (size_t)Vp * sizeof(float) + 65 * sizeof(float);
  // the same kernel with and without dlogits, so forward_loss and forward_backward give the same loss
  const bool vec = Vp % 4 == 0 && aligned16(logits) && ((uintptr_t)dlogits % (4 * sizeof(T))) == 0;
  static const bool cluster = env_is("LOCO_CUDA_CE", "cluster") && cuda_device_cc() >= 90;
  static size_t allowed2 = 48 * 1024;
  const size_t smem2 = (size_t)((Vp / 4 + 1) / 2) * 16 + 34 * sizeof(float);
  if (cluster && vec && allow_smem(crossentropy_cluster_kernel<T>, smem2, allowed2)) {
    launch(crossentropy_cluster_kernel<T>, 2 * R, CE2_THREADS, smem2, logits, dlogits, row_loss, y, V, Vp, scale);
  } else if (vec && allow_smem(crossentropy_smem_kernel<T>, smem, allowed)) {
    launch(crossentropy_smem_kernel<T>, R, CE1_THREADS, smem, logits, dlogits, row_loss, y, V, Vp, scale);
  } else {
    launch(crossentropy_kernel<T>, R, CE_THREADS, 0, logits, dlogits, row_loss, y, V, Vp, scale);
  }
  CUDA_LAUNCH_CHECK("crossentropy");
}
template <typename T>
void k_crossentropy(const bf16* logits, T* dlogits, float* row_loss, const int* y, int R, int V, int Vp, float scale) {
  if (R == 0) return;
  static size_t allowed = 48 * 1024;
  const size_t smem = (size_t)Vp * sizeof(bf16) + (2 * CE16_THREADS / 32 + 1) * sizeof(float);
  const bool vec = Vp % 8 == 0 && aligned16(logits) && aligned16(dlogits);  // store8: 16-byte stores
  static size_t allowed_cp = 48 * 1024;
  static const bool cp = env_is("LOCO_CUDA_CE", "cpasync");
  static size_t allowed_exp2 = 48 * 1024;
  static const bool exp2 = env_is("LOCO_CUDA_CE", "exp2");
  if (vec && cp && allow_smem(crossentropy_bf16_cp_kernel<T>, smem, allowed_cp))
    launch(crossentropy_bf16_cp_kernel<T>, R, CE16_THREADS, smem, logits, dlogits, row_loss, y, V, Vp, scale);
  else if (vec && exp2 && allow_smem(crossentropy_bf16_kernel<T, CeExp2>, smem, allowed_exp2))
    launch(crossentropy_bf16_kernel<T, CeExp2>, R, CE16_THREADS, smem, logits, dlogits, row_loss, y, V, Vp, scale);
  else if (vec && allow_smem(crossentropy_bf16_kernel<T>, smem, allowed))
    launch(crossentropy_bf16_kernel<T>, R, CE16_THREADS, smem, logits, dlogits, row_loss, y, V, Vp, scale);
  else
    launch(crossentropy_kernel<T, bf16>, R, CE_THREADS, 0, logits, dlogits, row_loss, y, V, Vp, scale);
  CUDA_LAUNCH_CHECK("crossentropy (bf16 logits)");
}
// whether adamw_vec_kernel may take these pointers (16-byte float4s, 8-byte groups of 4 bf16)
static bool adamw_vec_aligned(const float* p, const float* g, const float* m, const float* v, const bf16* pcopy) {
  return aligned16(p) && aligned16(g) && aligned16(m) && aligned16(v) && ((uintptr_t)pcopy % 8) == 0;
}
void k_adamw(float* p, const float* g, float* m, float* v, bf16* pcopy, size_t n, float lr, float beta1, float beta2,
             float eps, float weight_decay, float grad_scale, float bc1, float bc2) {
  if (n == 0) return;
  size_t done = 0;
  if (adamw_vec_aligned(p, g, m, v, pcopy) && n >= 4) {
    const size_t n4 = n / 4;
    launch(adamw_vec_kernel, cdiv(n4, 256), 256, 0, (float4*)p, (const float4*)g, (float4*)m, (float4*)v, pcopy, n4, lr, beta1,
           beta2, eps, weight_decay, grad_scale, bc1, bc2, nullptr);
    CUDA_LAUNCH_CHECK("adamw");
    done = 4 * n4;
  }
  if (done < n) {
    launch(adamw_kernel, cdiv(n - done, 256), 256, 0, p + done, g + done, m + done, v + done, pcopy ? pcopy + done : nullptr,
           n - done, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
    CUDA_LAUNCH_CHECK("adamw");
  }
}
bool k_adamw_pieces(float* p, const float* g, float* m, float* v, bf16* pcopy, const unsigned* decay_bits, size_t n,
                    float lr, float beta1, float beta2, float eps, float weight_decay, float grad_scale, float bc1,
                    float bc2) {
  if (n == 0 || n % 4 || !adamw_vec_aligned(p, g, m, v, pcopy)) return false;
  const size_t n4 = n / 4;
  launch(adamw_vec_kernel, cdiv(n4, 256), 256, 0, (float4*)p, (const float4*)g, (float4*)m, (float4*)v, pcopy, n4,
         lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2,
         decay_bits);
  CUDA_LAUNCH_CHECK("adamw");
  return true;
}
void k_sum_squares(double* partial, const float* x, size_t n) {
  if (!aligned16(x)) throw std::runtime_error("k_sum_squares: x must be 16-byte aligned");
  launch(sum_squares_kernel, SUMSQ_BLOCKS, 256, 0, partial, x, n);
  CUDA_LAUNCH_CHECK("sum_squares");
}
void k_to_bf16(bf16* dst, const float* src, size_t n) {
  launch(to_bf16_kernel, cdiv(n, 256), 256, 0, dst, src, n);
  CUDA_LAUNCH_CHECK("to_bf16");
}
void k_axpy(float* p, const float* u, float alpha, size_t n) {
  launch(axpy_kernel, cdiv(n, 256), 256, 0, p, u, alpha, n);
  CUDA_LAUNCH_CHECK("axpy");
}
void k_gather(float* out, const float* p, const uint64_t* idx, size_t n) {
  if (n == 0) return;
  launch(gather_kernel, cdiv(n, 256), 256, 0, out, p, idx, n);
  CUDA_LAUNCH_CHECK("gather");
}

#define INST(T)                                                                                                     \
  template void k_rmsnorm_forward<T>(T*, float*, const float*, const float*, int, int, float);                      \
  template unsigned k_rmsnorm_backward<T, float>(float*, T*, float*, float*, const float*, const float*,            \
                                                 const float*, const float*, int, int, bool, bool);                \
  template void k_rope<T>(T*, const float*, const float*, int, int, int, int, bool);                                \
  template void k_swiglu_forward<T>(T*, const T*, int, int);                                                        \
  template void k_swiglu_backward<T>(T*, const T*, const T*, int, int);                                             \
  template void k_crossentropy<T>(const float*, T*, float*, const int*, int, int, int, float);                       \
  template void k_crossentropy<T>(const bf16*, T*, float*, const int*, int, int, int, float);                        \
  template bool k_attention_bwd_pre_vec<T>(float*, const T*, const T*, int, int, int, int);
INST(float)
INST(bf16)
// bf16 activations with a bf16 dy into the norm backward (LOCO_CUDA_NORM_DY=bf16)
template unsigned k_rmsnorm_backward<bf16, bf16>(float*, bf16*, float*, float*, const bf16*, const float*, const float*,
                                                 const float*, int, int, bool, bool);
#endif  // LOCO_CUDA_EMULATE
