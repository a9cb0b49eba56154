// The tensor-core attention kernels (attention_tc.cu launches them). Kept in a header so that
// test/attention_tc_emu.cpp can run the very same code on the CPU (LOCO_CUDA_EMULATE: threads for
// CUDA threads, a software mma with the PTX fragment layout) against the CPU engine's attention.
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"

namespace attn_tc {


constexpr int TB = 64;   // rows per block (queries or keys) and per streamed tile
constexpr int NW = 4;    // warps per block: 16 rows each
constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

#ifdef LOCO_CUDA_EMULATE
void emu_mma16816(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1);  // test/attention_tc_emu.cpp
#endif
__device__ __forceinline__ void mma16816(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
#ifdef LOCO_CUDA_EMULATE
  emu_mma16816(c, a, b0, b1);
#else
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
__device__ __forceinline__ uint32_t ld32(const bf16* p) { return *reinterpret_cast<const uint32_t*>(p); }

// rows [r0, r0+TB) of a [*, ld] bf16 matrix (columns [0, HD)) into smem [TB][HD+8]; zeros past Tn.
template <int HD>
__device__ __forceinline__ void load_tile(bf16* s, const bf16* g, size_t ld, int r0, int Tn) {
  constexpr int S = HD + 8, VEC = HD / 8;
  for (int e = threadIdx.x; e < TB * VEC; e += NW * 32) {
    const int r = e / VEC, c = (e % VEC) * 8;
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r0 + r < Tn) v = *reinterpret_cast<const uint4*>(g + (size_t)(r0 + r) * ld + c);
    *reinterpret_cast<uint4*>(s + r * S + c) = v;
  }
}
// the same rows transposed: smem [HD][TB+8]
template <int HD>
__device__ __forceinline__ void load_tile_t(bf16* s, const bf16* g, size_t ld, int r0, int Tn) {
  constexpr int S = TB + 8, VEC = HD / 8;
  for (int e = threadIdx.x; e < TB * VEC; e += NW * 32) {
    const int r = e % TB, c = (e / TB) * 8;  // consecutive threads: consecutive rows (spread banks)
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r0 + r < Tn) v = *reinterpret_cast<const uint4*>(g + (size_t)(r0 + r) * ld + c);
    const bf16* x = reinterpret_cast<const bf16*>(&v);
#pragma unroll
    for (int k = 0; k < 8; k++) s[(c + k) * S + r] = x[k];
  }
}
// A fragment of rows [row0, row0+16), columns [k0, k0+16) of a [.][stride] smem matrix
__device__ __forceinline__ void load_a(uint32_t a[4], const bf16* s, int stride, int row0, int k0) {
  const int lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const bf16* p = s + (row0 + g) * stride + k0 + 2 * t;
  a[0] = ld32(p);
  a[1] = ld32(p + 8 * stride);
  a[2] = ld32(p + 8);
  a[3] = ld32(p + 8 * stride + 8);
}
// B fragment (k in [k0, k0+16), n in [n0, n0+8)) where B[k][n] = s[n][k] (s row-major by n)
__device__ __forceinline__ void load_b(uint32_t& b0, uint32_t& b1, const bf16* s, int stride, int n0, int k0) {
  const int lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const bf16* p = s + (n0 + g) * stride + k0 + 2 * t;
  b0 = ld32(p);
  b1 = ld32(p + 8);
}

// The forward's online-softmax step for one 64-key tile (both tensor-core versions): s holds this
// warp's raw scores Q·Kᵀ for its rows qi[0] (g) and qi[1] (g + 8) against keys k0 + column, in the
// C-fragment layout; they become exp2(s·scale_log2 − m) in place (keys after the row or from Tn on
// masked to 0 when need_mask), the running max m, sum l and the output o are rescaled.
template <int NK, int HD>
__device__ __forceinline__ void online_softmax_tile(float (&s)[NK / 8][4], float (&m)[2], float (&l)[2],
                                                    float (&o)[HD / 8][4], int k0, const int (&qi)[2], int Tn, int t,
                                                    float scale_log2, bool need_mask) {
#pragma unroll
  for (int r = 0; r < 2; r++) {
    float mx = -INFINITY;
#pragma unroll
    for (int n = 0; n < NK / 8; n++)
#pragma unroll
      for (int e = 0; e < 2; e++) {
        const int key = k0 + n * 8 + 2 * t + e;
        float v = s[n][2 * r + e] * scale_log2;
        if (need_mask && (key > qi[r] || key >= Tn)) v = -INFINITY;
        s[n][2 * r + e] = v;
        mx = fmaxf(mx, v);
      }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    const float mnew = fmaxf(m[r], mx);
    const float muse = mnew == -INFINITY ? 0.f : mnew;
    const float corr = exp2f(m[r] - muse);
    m[r] = mnew;
    float sum = 0.f;
#pragma unroll
    for (int n = 0; n < NK / 8; n++)
#pragma unroll
      for (int e = 0; e < 2; e++) {
        const float p = exp2f(s[n][2 * r + e] - muse);
        s[n][2 * r + e] = p;
        sum += p;
      }
    l[r] = l[r] * corr + sum;
#pragma unroll
    for (int n = 0; n < HD / 8; n++) {
      o[n][2 * r] *= corr;
      o[n][2 * r + 1] *= corr;
    }
  }
}

// The forward's epilogue (both tensor-core versions): y = o / l for this warp's rows qi[0], qi[1]
// (the row sums l are spread over the 4 threads of a row), and the row logsumexp in natural log.
template <int HD>
__device__ __forceinline__ void write_forward_rows(bf16* y, float* lse, const float (&o)[HD / 8][4], const float (&m)[2],
                                                   const float (&l)[2], const int (&qi)[2], int Tn, int b, int h, int d,
                                                   int bh, int t) {
#pragma unroll
  for (int r = 0; r < 2; r++) {
    float lt = l[r];
    lt += __shfl_xor_sync(0xffffffffu, lt, 1);
    lt += __shfl_xor_sync(0xffffffffu, lt, 2);
    if (qi[r] >= Tn) continue;
    const float inv = 1.0f / lt;
    bf16* yr = y + ((size_t)b * Tn + qi[r]) * d + (size_t)h * HD;
#pragma unroll
    for (int n = 0; n < HD / 8; n++)
      *reinterpret_cast<uint32_t*>(yr + n * 8 + 2 * t) = pack2(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    if (t == 0) lse[(size_t)bh * Tn + qi[r]] = (m[r] + log2f(lt)) * LN2;
  }
}

template <int HD>
__global__ void __launch_bounds__(NW * 32) attn_fwd_tc_kernel(bf16* y, float* lse, const bf16* qkv, int Tn, int H,
                                                              float scale_log2) {
  extern __shared__ __align__(16) unsigned char smraw[];
  constexpr int SR = HD + 8, ST = TB + 8;
  bf16* Qs = reinterpret_cast<bf16*>(smraw);
  bf16* Ks = Qs + TB * SR;
  bf16* Vt = Ks + TB * SR;  // [HD][ST]
  const int qb = gridDim.x - 1 - blockIdx.x;  // longest (latest) query blocks first
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int q0 = qb * TB;
  load_tile<HD>(Qs, base, ld, q0, Tn);
  __syncthreads();
  uint32_t qf[HD / 16][4];
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) load_a(qf[kk], Qs, SR, warp * 16, kk * 16);
  float o[HD / 8][4];
#pragma unroll
  for (int n = 0; n < HD / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  const int qi[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  for (int kt = 0; kt <= qb; kt++) {
    const int k0 = kt * TB;
    __syncthreads();
    load_tile<HD>(Ks, base + d, ld, k0, Tn);
    load_tile_t<HD>(Vt, base + 2 * d, ld, k0, Tn);
    __syncthreads();
    float s[TB / 8][4];
#pragma unroll
    for (int n = 0; n < TB / 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < HD / 16; kk++)
#pragma unroll
      for (int n = 0; n < TB / 8; n++) {
        uint32_t b0, b1;
        load_b(b0, b1, Ks, SR, n * 8, kk * 16);
        mma16816(s[n], qf[kk], b0, b1);
      }
    online_softmax_tile<TB, HD>(s, m, l, o, k0, qi, Tn, t, scale_log2, true);
#pragma unroll
    for (int j = 0; j < TB / 16; j++) {
      uint32_t a[4] = {pack2(s[2 * j][0], s[2 * j][1]), pack2(s[2 * j][2], s[2 * j][3]),
                       pack2(s[2 * j + 1][0], s[2 * j + 1][1]), pack2(s[2 * j + 1][2], s[2 * j + 1][3])};
#pragma unroll
      for (int n = 0; n < HD / 8; n++) {
        uint32_t b0, b1;
        load_b(b0, b1, Vt, ST, n * 8, j * 16);
        mma16816(o[n], a, b0, b1);
      }
    }
  }
  write_forward_rows<HD>(y, lse, o, m, l, qi, Tn, b, h, H * HD, bh, t);
}

// The backward's two score-like products for this warp's 16 rows against a 64-row tile:
// acc1 = A1·B1ᵀ, acc2 = A2·B2ᵀ over HD ([rows][HD+8] tiles), zeroed first. dK/dV: (K, V) against
// (Q, dO) for Sᵀ and dPᵀ; dQ: (Q, dO) against (K, V) for S and dP. (tc2 has the ldmatrix twin.)
template <int HD>
__device__ __forceinline__ void score_pair_tc(float (&acc1)[TB / 8][4], float (&acc2)[TB / 8][4], const bf16* A1,
                                              const bf16* A2, const bf16* B1, const bf16* B2, int warp) {
  constexpr int SR = HD + 8;
#pragma unroll
  for (int n = 0; n < TB / 8; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) acc1[n][e] = acc2[n][e] = 0.f;
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) {
    uint32_t a1[4], a2[4];
    load_a(a1, A1, SR, warp * 16, kk * 16);
    load_a(a2, A2, SR, warp * 16, kk * 16);
#pragma unroll
    for (int n = 0; n < TB / 8; n++) {
      uint32_t b0, b1;
      load_b(b0, b1, B1, SR, n * 8, kk * 16);
      mma16816(acc1[n], a1, b0, b1);
      load_b(b0, b1, B2, SR, n * 8, kk * 16);
      mma16816(acc2[n], a2, b0, b1);
    }
  }
}

// dK, dV for a block of 64 keys (16 per warp), streaming 64-query tiles from the diagonal on.
template <int HD>
__global__ void __launch_bounds__(NW * 32) attn_bwd_dkv_tc_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy,
                                                                  const float* lse, const float* D, int Tn, int H,
                                                                  float scale, float scale_log2) {
  extern __shared__ __align__(16) unsigned char smraw[];
  constexpr int SR = HD + 8, ST = TB + 8;
  bf16* Ks = reinterpret_cast<bf16*>(smraw);
  bf16* Vs = Ks + TB * SR;
  bf16* Qs = Vs + TB * SR;
  bf16* dOs = Qs + TB * SR;
  bf16* Qt = dOs + TB * SR;   // [HD][ST]
  bf16* dOt = Qt + HD * ST;   // [HD][ST]
  float* L2 = reinterpret_cast<float*>(dOt + HD * ST);  // lse·log2(e) of the tile's queries
  float* Dq = L2 + TB;
  // early keys see the most queries: they go first (blocks are dispatched in increasing blockIdx.x;
  // until 2026-11-26 this was reversed, so the longest blocks came last and set the tail)
  const int kb = blockIdx.x;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const bf16* dyb = dy + (size_t)b * Tn * d + (size_t)h * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int k0 = kb * TB;
  load_tile<HD>(Ks, base + d, ld, k0, Tn);
  load_tile<HD>(Vs, base + 2 * d, ld, k0, Tn);
  float dk[HD / 8][4], dv[HD / 8][4];
#pragma unroll
  for (int n = 0; n < HD / 8; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) dk[n][e] = dv[n][e] = 0.f;
  const int key[2] = {k0 + warp * 16 + g, k0 + warp * 16 + g + 8};
  const int nq = (Tn + TB - 1) / TB;
  for (int qt = kb; qt < nq; qt++) {
    const int q0 = qt * TB;
    __syncthreads();
    load_tile<HD>(Qs, base, ld, q0, Tn);
    load_tile<HD>(dOs, dyb, d, q0, Tn);
    load_tile_t<HD>(Qt, base, ld, q0, Tn);
    load_tile_t<HD>(dOt, dyb, d, q0, Tn);
    for (int e = threadIdx.x; e < TB; e += NW * 32) {
      const int i = q0 + e;
      L2[e] = i < Tn ? lse[(size_t)bh * Tn + i] * LOG2E : 0.f;
      Dq[e] = i < Tn ? D[(size_t)bh * Tn + i] : 0.f;
    }
    __syncthreads();
    float st[TB / 8][4], dpt[TB / 8][4];
    score_pair_tc<HD>(st, dpt, Ks, Vs, Qs, dOs, warp);
#pragma unroll
    for (int n = 0; n < TB / 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int qc = n * 8 + 2 * t + (e & 1);
        const int i = q0 + qc, j = key[e >> 1];
        const bool valid = i >= j && i < Tn && j < Tn;
        const float p = valid ? exp2f(st[n][e] * scale_log2 - L2[qc]) : 0.f;
        st[n][e] = p;
        dpt[n][e] = p * (dpt[n][e] - Dq[qc]);
      }
#pragma unroll
    for (int jq = 0; jq < TB / 16; jq++) {
      uint32_t pa[4] = {pack2(st[2 * jq][0], st[2 * jq][1]), pack2(st[2 * jq][2], st[2 * jq][3]),
                        pack2(st[2 * jq + 1][0], st[2 * jq + 1][1]), pack2(st[2 * jq + 1][2], st[2 * jq + 1][3])};
      uint32_t sa[4] = {pack2(dpt[2 * jq][0], dpt[2 * jq][1]), pack2(dpt[2 * jq][2], dpt[2 * jq][3]),
                        pack2(dpt[2 * jq + 1][0], dpt[2 * jq + 1][1]), pack2(dpt[2 * jq + 1][2], dpt[2 * jq + 1][3])};
#pragma unroll
      for (int n = 0; n < HD / 8; n++) {
        uint32_t b0, b1;
        load_b(b0, b1, dOt, ST, n * 8, jq * 16);
        mma16816(dv[n], pa, b0, b1);
        load_b(b0, b1, Qt, ST, n * 8, jq * 16);
        mma16816(dk[n], sa, b0, b1);
      }
    }
  }
  bf16* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
#pragma unroll
  for (int r = 0; r < 2; r++) {
    if (key[r] >= Tn) continue;
    bf16* row = out + (size_t)key[r] * ld;
#pragma unroll
    for (int n = 0; n < HD / 8; n++) {
      *reinterpret_cast<uint32_t*>(row + d + n * 8 + 2 * t) = pack2(dk[n][2 * r] * scale, dk[n][2 * r + 1] * scale);
      *reinterpret_cast<uint32_t*>(row + 2 * d + n * 8 + 2 * t) = pack2(dv[n][2 * r], dv[n][2 * r + 1]);
    }
  }
}

// dQ for a block of 64 queries (16 per warp), streaming 64-key tiles up to the diagonal.
template <int HD>
__global__ void __launch_bounds__(NW * 32) attn_bwd_dq_tc_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy,
                                                                 const float* lse, const float* D, int Tn, int H,
                                                                 float scale, float scale_log2) {
  extern __shared__ __align__(16) unsigned char smraw[];
  constexpr int SR = HD + 8, ST = TB + 8;
  bf16* Qs = reinterpret_cast<bf16*>(smraw);
  bf16* dOs = Qs + TB * SR;
  bf16* Ks = dOs + TB * SR;
  bf16* Vs = Ks + TB * SR;
  bf16* Kt = Vs + TB * SR;  // [HD][ST]
  const int qb = gridDim.x - 1 - blockIdx.x;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const bf16* dyb = dy + (size_t)b * Tn * d + (size_t)h * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int q0 = qb * TB;
  load_tile<HD>(Qs, base, ld, q0, Tn);
  load_tile<HD>(dOs, dyb, d, q0, Tn);
  const int qi[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  float l2[2], dd[2];
#pragma unroll
  for (int r = 0; r < 2; r++) {
    l2[r] = qi[r] < Tn ? lse[(size_t)bh * Tn + qi[r]] * LOG2E : 0.f;
    dd[r] = qi[r] < Tn ? D[(size_t)bh * Tn + qi[r]] : 0.f;
  }
  float dq[HD / 8][4];
#pragma unroll
  for (int n = 0; n < HD / 8; n++) dq[n][0] = dq[n][1] = dq[n][2] = dq[n][3] = 0.f;
  for (int kt = 0; kt <= qb; kt++) {
    const int k0 = kt * TB;
    __syncthreads();
    load_tile<HD>(Ks, base + d, ld, k0, Tn);
    load_tile<HD>(Vs, base + 2 * d, ld, k0, Tn);
    load_tile_t<HD>(Kt, base + d, ld, k0, Tn);
    __syncthreads();
    float s[TB / 8][4], dp[TB / 8][4];
    score_pair_tc<HD>(s, dp, Qs, dOs, Ks, Vs, warp);
#pragma unroll
    for (int n = 0; n < TB / 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int r = e >> 1;
        const int j = k0 + n * 8 + 2 * t + (e & 1);
        const bool valid = j <= qi[r] && j < Tn && qi[r] < Tn;
        const float p = valid ? exp2f(s[n][e] * scale_log2 - l2[r]) : 0.f;
        s[n][e] = p * (dp[n][e] - dd[r]);
      }
#pragma unroll
    for (int jk = 0; jk < TB / 16; jk++) {
      uint32_t a[4] = {pack2(s[2 * jk][0], s[2 * jk][1]), pack2(s[2 * jk][2], s[2 * jk][3]),
                       pack2(s[2 * jk + 1][0], s[2 * jk + 1][1]), pack2(s[2 * jk + 1][2], s[2 * jk + 1][3])};
#pragma unroll
      for (int n = 0; n < HD / 8; n++) {
        uint32_t b0, b1;
        load_b(b0, b1, Kt, ST, n * 8, jk * 16);
        mma16816(dq[n], a, b0, b1);
      }
    }
  }
  bf16* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
#pragma unroll
  for (int r = 0; r < 2; r++) {
    if (qi[r] >= Tn) continue;
    bf16* row = out + (size_t)qi[r] * ld;
#pragma unroll
    for (int n = 0; n < HD / 8; n++)
      *reinterpret_cast<uint32_t*>(row + n * 8 + 2 * t) = pack2(dq[n][2 * r] * scale, dq[n][2 * r + 1] * scale);
  }
}

}  // namespace attn_tc
