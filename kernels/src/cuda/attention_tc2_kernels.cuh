// Tensor-core attention (attention_tc2.cu launches these; the bf16 default, LOCO_CUDA_ATTN=tc2): an
// FA2 forward and a two-pass deterministic backward. The second version of these kernels, built
// after the first one's H100 profile (docs/benchmarks.md); the first (tc) was retired on 2026-11-26
// after this one measured faster in the same run (12.0 vs 14.05 ms per gpt2-124m step, 58 vs 100 ms
// per 1b step, H200). What it does:
//   - 4 warps per block, 64 query (or key) rows sharing each streamed K/V (or Q/dO) tile;
//   - tiles are copied with cp.async, two stages deep, so the next tile streams in during the mma;
//   - every operand fragment comes from ldmatrix (x4: four 8×8 matrices per instruction), the
//     transposed operands (V in P·V, Q and dO in dK, dV, K in dQ) with ldmatrix.trans straight from
//     the row-major tiles: no transposed copies in shared memory;
//   - warps skip key (query) tiles that are fully masked for all their rows, and mask only where a
//     tile crosses the diagonal or the sequence end;
//   - optionally (ROPE = true / ROPE_FULL, cs and sn given; LOCO_CUDA_ROPE_FUSED=1) RoPE is applied to
//     the q and k tiles in shared memory and undone on dq, dk in registers, so no separate RoPE pass
//     runs. Measured slower than the separate pass on an H200 (every streamed tile is rotated again,
//     and the table loads stall before a barrier), so it is off by default. ROPE_OUT (opt-in) keeps
//     the forward's k_rope pass and only undoes the rotation on dq, dk before their store.
// Kept in a header so test/attention_tc_emu.cpp runs the same code on the CPU (LOCO_CUDA_EMULATE:
// cp.async as a plain copy, ldmatrix and mma in software with the PTX fragment layouts).
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"

namespace attn_tc2 {
// RoPE in the backward kernels (their ROPE parameter): ROPE_NONE, q and k arrive rotated (by k_rope)
// and dq, dk leave rotated (k_rope's inverse pass follows); ROPE_FULL, the fused RoPE: q, k arrive
// unrotated, are rotated in shared memory, and dq, dk are rotated back in registers; ROPE_OUT, q, k
// arrive rotated and only dq, dk are rotated back, in registers before the store, instead of the
// inverse k_rope pass over dqkv (LOCO_CUDA_ROPE_BWD=fused, opt-in).
enum RopeMode : int { ROPE_NONE = 0, ROPE_FULL = 1, ROPE_OUT = 2 };
// dQ in the backward (the dK/dV kernel's FUSED_DQ parameter): DQ_SEPARATE, the dQ kernel computes it
// (recomputing S and dP); DQ_ORDERED (LOCO_CUDA_ATTN_BWD=fused), the dK/dV kernel adds each key
// block's share into one fp32 accumulator in key-block order, blocks waiting on each other;
// DQ_PARTIALS (LOCO_CUDA_ATTN_BWD=partials), it stores each key block's share as a partial and
// attn2_dq_reduce_kernel adds them in key-block order — the same sums, the same bits, no waiting;
// DQ_ATOMIC (LOCO_CUDA_ATTN_BWD=atomic), it adds each share into the fp32 accumulator with atomic
// adds, in whatever order the blocks get there (FlashAttention-2's backward: not bit-reproducible
// from run to run, no waiting, no partials).
enum DqMode : int { DQ_SEPARATE = 0, DQ_ORDERED = 1, DQ_PARTIALS = 2, DQ_ATOMIC = 3 };
constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

// mma.sync.m16n8k16 bf16 × bf16 → fp32: c += a·b for one warp's 16×8 tile.
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

constexpr int TK = 64;  // rows of a streamed tile (keys in the forward and dQ, queries in dK/dV)
template <int HD>
struct Shape {
  // warps per block, 16 rows each. 4 for every head size: on an H100 (2026-11-26, docs/benchmarks.md)
  // 8 warps at head_dim 64 ran one 256-thread block per SM (140-228 registers a thread) and were no
  // faster than the first version; 4 warps at head_dim 128 were 1.5x faster.
  static constexpr int NW = 4;
  static constexpr int BR = NW * 16;            // rows a block owns
  __host__ __device__ static constexpr int rows(int mt) { return NW * 16 * mt; }  // … with mt m-tiles per warp (Wide below)
  static constexpr int S = HD + 8;              // shared-memory row stride (bf16): 16 bytes of padding
  static constexpr int NT = NW * 32;
  // Blocks per SM the dK/dV kernel is compiled for (__launch_bounds__' second argument). At head_dim
  // 64 ptxas alone takes 186 registers (two 128-thread blocks per SM); asked for three it fits 168
  // without spilling. Elsewhere no bound: at 128 it spills hundreds of bytes, at 16 it would take
  // more registers than it does unbounded; with the fused RoPE it would spill (ptxas -v, 2026-11-26,
  // docs/cuda.md).
  static constexpr int DKV_MIN_BLOCKS = HD == 64 ? 3 : 1;
};

// Rows per warp. The kernels take MT, the 16-row m-tiles each warp owns (block rows BR = NW·16·MT),
// and TKN, the rows of a streamed tile. MT = 1, TKN = 64 is the default. MT = 2 (32 rows per warp,
// as FA2 does; LOCO_CUDA_ATTN_ROWS=32, opt-in until measured on a GPU) uses every B fragment loaded
// from shared memory for two m-tiles: at 16 rows per warp the dK/dV kernel issues one ldmatrix.x4
// (512 bytes, 4 cycles of an SM's 128 B/cycle) per 1.8 mma.m16n8k16 (~1.5 cycles each on an H100),
// at 32 rows with 32-row tiles one per 2.7, and each warp has twice the independent mma to hide
// latency with (h200-3's profile found these kernels latency-bound: 0.3-0.7 eligible warps per
// scheduler, shared-memory pipes 27-33 % busy, with the fused RoPE of that run). The backward's 32-row tiles keep its accumulators in registers (Sᵀ, dPᵀ, dK, dV: 192 floats
// a thread at head_dim 64); at head_dim 128 the dK/dV kernel stays at MT = 1 (dK, dV alone would
// take 256 registers). TKN = 32 needs HD ≥ 32 (cp_tile covers whole rows per pass). Every shape
// here adds in the same order as the default (the forward's key tiles stay 64; the backward's
// products add 16 rows at a time, in order, whatever the tile), so the outputs are the same bits.
template <int HD>
struct Wide {
  static constexpr int FWD_MT = 2, FWD_TK = TK;
  static constexpr int DKV_MT = HD <= 64 ? 2 : 1, DKV_TK = HD >= 32 && HD <= 64 ? 32 : TK;
  static constexpr int DQ_MT = 2, DQ_TK = HD >= 32 ? 32 : TK;
};

#ifdef LOCO_CUDA_EMULATE
void emu_ldmatrix_x4(uint32_t r[4], const bf16* row_addr, bool trans);  // test/attention_tc_emu.cpp
#endif

// ldmatrix.x4: lanes 8i..8i+7 give the row addresses of matrix i; register i of lane L receives
// matrix i's (row L/4, columns 2(L%4), 2(L%4)+1) — with .trans, (rows 2(L%4), 2(L%4)+1, column L/4).
__device__ __forceinline__ void ldsm_x4(uint32_t r[4], const bf16* p) {
#ifdef LOCO_CUDA_EMULATE
  emu_ldmatrix_x4(r, p, false);
#else
  const unsigned a = (unsigned)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
#endif
}
__device__ __forceinline__ void ldsm_x4_t(uint32_t r[4], const bf16* p) {
#ifdef LOCO_CUDA_EMULATE
  emu_ldmatrix_x4(r, p, true);
#else
  const unsigned a = (unsigned)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
#endif
}
#ifdef LOCO_CUDA_EMULATE
// test/attention_tc_emu.cpp: cp.async as late as a GPU may complete it (at the wait_group that
// covers it), with its destination garbage from the issue on; src null: zeros
void emu_cp_async(void* dst, const void* src, int bytes);
void emu_cp_async_commit();
void emu_cp_async_wait(int pending);
#endif
// 16 bytes global → shared, asynchronously; zeros when !valid (src is then not read).
__device__ __forceinline__ void cp_async16(bf16* dst, const bf16* src, bool valid) {
#ifdef LOCO_CUDA_EMULATE
  emu_cp_async(dst, valid ? src : nullptr, 16);
#else
  const unsigned a = (unsigned)__cvta_generic_to_shared(dst);
  const int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(a), "l"(src), "r"(n));
#endif
}
// 4 bytes global → shared, asynchronously (cp.async's smallest size; .ca is the only cache mode it
// allows); zero when !valid. The dK/dV kernel's per-tile lse and D come this way, in the tile's group.
__device__ __forceinline__ void cp_async4(float* dst, const float* src, bool valid) {
#ifdef LOCO_CUDA_EMULATE
  emu_cp_async(dst, valid ? src : nullptr, 4);
#else
  const unsigned a = (unsigned)__cvta_generic_to_shared(dst);
  const int n = valid ? 4 : 0;
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(a), "l"(src), "r"(n));
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#ifdef LOCO_CUDA_EMULATE
  emu_cp_async_commit();
#else
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
#ifdef LOCO_CUDA_EMULATE
  emu_cp_async_wait(N);
#else
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

// Global-memory primitives of the fused backward's ordered dQ accumulation (FUSED_DQ below): a
// ticket (the order blocks start in), a per-tile counter read with acquire and written with release
// semantics, and L2-only loads and stores of the fp32 accumulator (no stale L1 lines from an earlier
// reader on the same SM).
#ifdef LOCO_CUDA_EMULATE
int emu_ticket(int* p);                          // test/attention_tc_emu.cpp
int emu_ld_acquire(const int* p);
void emu_st_release(int* p, int v);
void emu_wait_pause();                           // exits: blocks run in order there, so a wait cannot end
#endif
__device__ __forceinline__ int take_ticket(int* p) {
#ifdef LOCO_CUDA_EMULATE
  return emu_ticket(p);
#else
  return atomicAdd(p, 1);
#endif
}
__device__ __forceinline__ int ld_acquire(const int* p) {
#ifdef LOCO_CUDA_EMULATE
  return emu_ld_acquire(p);
#else
  int v;
  asm volatile("ld.acquire.gpu.global.b32 %0, [%1];\n" : "=r"(v) : "l"(p) : "memory");
  return v;
#endif
}
__device__ __forceinline__ void st_release(int* p, int v) {
#ifdef LOCO_CUDA_EMULATE
  emu_st_release(p, v);
#else
  asm volatile("st.release.gpu.global.b32 [%0], %1;\n" ::"l"(p), "r"(v) : "memory");
#endif
}
__device__ __forceinline__ void wait_pause() {
#ifdef LOCO_CUDA_EMULATE
  emu_wait_pause();
#else
  __nanosleep(64);
#endif
}
__device__ __forceinline__ float2 ld_l2(const float2* p) {
#ifdef LOCO_CUDA_EMULATE
  return *p;
#else
  return __ldcg(p);
#endif
}
__device__ __forceinline__ void st_l2(float2* p, float2 v) {
#ifdef LOCO_CUDA_EMULATE
  *p = v;
#else
  __stcg(p, v);
#endif
}

// rows [r0, r0+ROWS) of a [*, ld] bf16 matrix (columns [0, HD)) into smem [ROWS][HD+8]; zeros from
// row Tn on. Consecutive threads copy consecutive 16-byte pieces of a row (coalesced); each thread
// keeps one source pointer and steps it by NT/VEC rows, so the loop has no 64-bit index products.
template <int HD, int ROWS, int NT>
__device__ __forceinline__ void cp_tile(bf16* s, const bf16* g, size_t ld, int r0, int Tn) {
  constexpr int S = HD + 8, VEC = HD / 8, RSTEP = NT / VEC;  // RSTEP: rows one pass of the block copies
  static_assert(NT % VEC == 0 && ROWS % RSTEP == 0, "cp_tile: the block must cover whole rows");
  const int r = threadIdx.x / VEC, c = (threadIdx.x % VEC) * 8;
  const bf16* src = g + (size_t)(r0 + r) * ld + c;
  const size_t step = (size_t)RSTEP * ld;
  bf16* dst = s + r * S + c;
#pragma unroll
  for (int i = 0; i < ROWS / RSTEP; i++, src += step) {
    const bool ok = r0 + r + i * RSTEP < Tn;
    cp_async16(dst + i * RSTEP * S, ok ? src : g, ok);
  }
}

// RoPE ("rotate half", rope.cpp) in place on the rows of a [ROWS][HD+8] smem tile whose first row is
// position r0; cs, sn are the [T][HD/2] tables. Rows from Tn on (zeros) are left alone.
template <int HD, int ROWS, int NT>
__device__ __forceinline__ void rope_tile(bf16* s, int r0, int Tn, const float* cs, const float* sn) {
  constexpr int S = HD + 8, HALF = HD / 2;
  for (int e = threadIdx.x; e < ROWS * HALF; e += NT) {
    const int r = e / HALF, i = e % HALF, p = r0 + r;
    if (p >= Tn) continue;
    const float c = cs[(size_t)p * HALF + i], sv = sn[(size_t)p * HALF + i];
    const float a = __bfloat162float(s[r * S + i]), b = __bfloat162float(s[r * S + i + HALF]);
    s[r * S + i] = __float2bfloat16_rn(a * c - b * sv);
    s[r * S + i + HALF] = __float2bfloat16_rn(b * c + a * sv);
  }
}
// The gradient with respect to a roped row → with respect to the row before RoPE (the inverse
// rotation), on row half r of C fragments: columns c and c + HD/2 sit in n-blocks n and n + HD/16 of
// the same thread. p is the row's position.
template <int HD>
__device__ __forceinline__ void unrope_frag(float acc[HD / 8][4], int r, int p, const float* cs, const float* sn, int t) {
  constexpr int HALF = HD / 2;
#pragma unroll
  for (int n = 0; n < HD / 16; n++)
#pragma unroll
    for (int e = 0; e < 2; e++) {
      const int i = n * 8 + 2 * t + e;
      const float c = cs[(size_t)p * HALF + i], sv = sn[(size_t)p * HALF + i];
      const float x = acc[n][2 * r + e], y = acc[n + HD / 16][2 * r + e];
      acc[n][2 * r + e] = x * c + y * sv;
      acc[n + HD / 16][2 * r + e] = y * c - x * sv;
    }
}

// Fragment addresses for this lane (L = lane) in a row-major [rows][S] tile:
// A operand, 16×16 at (row0, k0): a0..a3 of mma.m16n8k16.
__device__ __forceinline__ const bf16* frag_a(const bf16* s, int S, int row0, int k0, int lane) {
  return s + (row0 + (lane & 15)) * S + k0 + (lane >> 4) * 8;
}
// B operand where B[k][n] = s[n][k] (s rows are n): (b0, b1) of n-blocks n0 and n0+8, k in [k0, k0+16).
__device__ __forceinline__ const bf16* frag_b(const bf16* s, int S, int n0, int k0, int lane) {
  return s + (n0 + (lane & 7) + ((lane >> 4) << 3)) * S + k0 + ((lane >> 3) & 1) * 8;
}
// A operand where A[m][k] = s[k][m] (s rows are k), loaded with .trans: a0..a3 of the 16×16 block
// at (m0, k0).
__device__ __forceinline__ const bf16* frag_at(const bf16* s, int S, int m0, int k0, int lane) {
  return s + (k0 + (lane & 7) + ((lane >> 4) << 3)) * S + m0 + ((lane >> 3) & 1) * 8;
}
// B operand where B[k][n] = s[k][n] (s rows are k), loaded with .trans: (b0, b1) of n-blocks n0, n0+8.
__device__ __forceinline__ const bf16* frag_bt(const bf16* s, int S, int k0, int n0, int lane) {
  return s + (k0 + (lane & 7) + (((lane >> 3) & 1) << 3)) * S + n0 + (lane >> 4) * 8;
}
// The A fragment of columns [16j, 16j+16) of a warp's 16-row tile c held as C fragments (scores,
// probabilities or dS as the next product's left operand), rounded to bf16.
template <int N>
__device__ __forceinline__ void a_from_c(uint32_t (&a)[4], const float (&c)[N][4], int j) {
  a[0] = pack2(c[2 * j][0], c[2 * j][1]);
  a[1] = pack2(c[2 * j][2], c[2 * j][3]);
  a[2] = pack2(c[2 * j + 1][0], c[2 * j + 1][1]);
  a[3] = pack2(c[2 * j + 1][2], c[2 * j + 1][3]);
}
// acc[mt] (m-tile mt of a warp's rows × HD, C fragments) += a[mt] (a 16×16 A fragment) ·
// Bs[k0 … k0+16][0 … HD), Bs row-major in shared memory (rows are k): P·V, dV += Pᵀ·dO, dK += dSᵀ·Q,
// dQ += dS·K. Each B fragment is loaded once for all MT m-tiles.
template <int HD, int MT>
__device__ __forceinline__ void mma_a_bt(float (&acc)[MT][HD / 8][4], const uint32_t (&a)[MT][4], const bf16* Bs, int S,
                                         int k0, int lane) {
#pragma unroll
  for (int np = 0; np < HD / 16; np++) {
    uint32_t bb[4];
    ldsm_x4_t(bb, frag_bt(Bs, S, k0, np * 16, lane));
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
      mma16816(acc[mt][2 * np], a[mt], bb[0], bb[1]);
      mma16816(acc[mt][2 * np + 1], a[mt], bb[2], bb[3]);
    }
  }
}

// acc[mt] += bf16(c[mt]) · Bs[0 … NK)[0 … HD) for a warp's MT m-tiles: the C fragments of scores,
// probabilities or dS over an NK-row tile as the left operand of the next product (P·V, dS·K).
template <int HD, int MT, int NK>
__device__ __forceinline__ void mma_c_bt(float (&acc)[MT][HD / 8][4], const float (&c)[MT][NK / 8][4], const bf16* Bs,
                                         int S, int lane) {
#pragma unroll
  for (int j = 0; j < NK / 16; j++) {
    uint32_t a[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++) a_from_c(a[mt], c[mt], j);
    mma_a_bt<HD, MT>(acc, a, Bs, S, j * 16, lane);
  }
}

// The forward's online-softmax step for one 64-key tile, without the output: s holds this warp's raw
// scores Q·Kᵀ for its rows qi[0] (g) and qi[1] (g + 8) against keys k0 + column, in the C-fragment
// layout; they become exp2(s·scale_log2 − m) in place (keys after the row or from Tn on masked to 0
// when need_mask), the running max m and sum l move on, and corr[r] is the factor row r's output
// must be scaled by (online_softmax_tile does it at once; the wgmma forward once the products still
// adding into it have completed).
template <int NK>
__device__ __forceinline__ void online_softmax_p(float (&s)[NK / 8][4], float (&m)[2], float (&l)[2], float (&corr)[2],
                                                 int k0, const int (&qi)[2], int Tn, int t, float scale_log2,
                                                 bool need_mask) {
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
    corr[r] = exp2f(m[r] - muse);
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
    l[r] = l[r] * corr[r] + sum;
  }
}
// o's rows (g, g + 8 of this warp's 16) scaled by corr[0], corr[1]
template <int HD>
__device__ __forceinline__ void rescale_rows(float (&o)[HD / 8][4], const float (&corr)[2]) {
#pragma unroll
  for (int n = 0; n < HD / 8; n++) {
    o[n][0] *= corr[0];
    o[n][1] *= corr[0];
    o[n][2] *= corr[1];
    o[n][3] *= corr[1];
  }
}
// online_softmax_p, then the output rescaled at once
template <int NK, int HD>
__device__ __forceinline__ void online_softmax_tile(float (&s)[NK / 8][4], float (&m)[2], float (&l)[2],
                                                    float (&o)[HD / 8][4], int k0, const int (&qi)[2], int Tn, int t,
                                                    float scale_log2, bool need_mask) {
  float corr[2];
  online_softmax_p<NK>(s, m, l, corr, k0, qi, Tn, t, scale_log2, need_mask);
  rescale_rows<HD>(o, corr);
}

// The forward's epilogue: y = o / l for this warp's rows qi[0], qi[1] (the row sums l are spread
// over the 4 threads of a row), and the row logsumexp in natural log.
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

// The K/V tile pipeline of the forward and dQ kernels (K/V tile kt in stage kt & 1): starts the
// copy of tile kt + 1 into the other stage, waits for tile kt, and with RoPE fused rotates it (and,
// at kt = 0, the block's BR query rows in Qs). Returns tile kt's K; its V follows TKN·(HD+8) later.
template <int HD, bool ROPE, int TKN = TK>
__device__ __forceinline__ bf16* kv_tile_ready(bf16* KV, const bf16* base, int d, size_t ld, int kt, int nkt, int Tn,
                                               bf16* Qs, int q0, const float* cs, const float* sn) {
  constexpr int S = Shape<HD>::S, NT = Shape<HD>::NT, BR = Shape<HD>::BR;
  if (kt + 1 < nkt) {
    bf16* nx = KV + ((kt + 1) & 1) * 2 * TKN * S;
    cp_tile<HD, TKN, NT>(nx, base + d, ld, (kt + 1) * TKN, Tn);
    cp_tile<HD, TKN, NT>(nx + TKN * S, base + 2 * d, ld, (kt + 1) * TKN, Tn);
    cp_async_commit();
    cp_async_wait<1>();
  } else {
    cp_async_wait<0>();
  }
  __syncthreads();
  bf16* Ks = KV + (kt & 1) * 2 * TKN * S;
  if constexpr (ROPE) {  // RoPE fused: q, k arrive unrotated (MT = 1, TKN = TK only)
    static_assert(TKN == TK, "the fused RoPE runs with the default tiles");
    if (kt == 0) rope_tile<HD, BR, NT>(Qs, q0, Tn, cs, sn);
    rope_tile<HD, TK, NT>(Ks, kt * TK, Tn, cs, sn);
    __syncthreads();
  }
  return Ks;
}

// The backward's two score-like products for this warp's MT m-tiles (A rows row0 + 16·mt …) against
// a TKN-row tile: acc1 = A1·B1ᵀ, acc2 = A2·B2ᵀ over HD ([rows][S] tiles), zeroed first. dK/dV uses
// (K, V) against (Q, dO) for Sᵀ and dPᵀ; dQ uses (Q, dO) against (K, V) for S and dP.
template <int HD, int MT, int TKN>
__device__ __forceinline__ void score_pair(float (&acc1)[MT][TKN / 8][4], float (&acc2)[MT][TKN / 8][4], const bf16* A1,
                                           const bf16* A2, const bf16* B1, const bf16* B2, int row0, int lane) {
  constexpr int S = HD + 8;
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int n = 0; n < TKN / 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc1[mt][n][e] = acc2[mt][n][e] = 0.f;
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) {
    uint32_t a1[MT][4], a2[MT][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
      ldsm_x4(a1[mt], frag_a(A1, S, row0 + 16 * mt, kk * 16, lane));
      ldsm_x4(a2[mt], frag_a(A2, S, row0 + 16 * mt, kk * 16, lane));
    }
#pragma unroll
    for (int np = 0; np < TKN / 16; np++) {
      uint32_t bb[4];
      ldsm_x4(bb, frag_b(B1, S, np * 16, kk * 16, lane));
#pragma unroll
      for (int mt = 0; mt < MT; mt++) {
        mma16816(acc1[mt][2 * np], a1[mt], bb[0], bb[1]);
        mma16816(acc1[mt][2 * np + 1], a1[mt], bb[2], bb[3]);
      }
      ldsm_x4(bb, frag_b(B2, S, np * 16, kk * 16, lane));
#pragma unroll
      for (int mt = 0; mt < MT; mt++) {
        mma16816(acc2[mt][2 * np], a2[mt], bb[0], bb[1]);
        mma16816(acc2[mt][2 * np + 1], a2[mt], bb[2], bb[3]);
      }
    }
  }
}

// The forward for a block of BR queries (16·MT per warp), streaming TKN-key tiles up to the diagonal.
template <int HD, bool ROPE, int MT = 1, int TKN = TK>
__global__ void __launch_bounds__(Shape<HD>::NT) attn2_fwd_kernel(bf16* y, float* lse, const bf16* qkv, int Tn, int H,
                                                                  float scale_log2, const float* cs,
                                                                  const float* sn) {
  static_assert(!ROPE || MT == 1, "the fused RoPE runs with 16 rows per warp");
  constexpr int RW = 16 * MT, BR = Shape<HD>::rows(MT), S = Shape<HD>::S, NT = Shape<HD>::NT;
  extern __shared__ __align__(16) unsigned char smraw[];
  bf16* Qs = reinterpret_cast<bf16*>(smraw);  // [BR][S]
  bf16* KV = Qs + BR * S;                     // stage st: K at KV + st·2·TKN·S, V TKN·S further
  const int qb = gridDim.x - 1 - blockIdx.x;  // the longest (latest) query blocks first
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int q0 = qb * BR;
  const int qlast = (q0 + BR < Tn ? q0 + BR : Tn) - 1;
  const int nkt = qlast / TKN + 1;
  cp_tile<HD, BR, NT>(Qs, base, ld, q0, Tn);
  cp_tile<HD, TKN, NT>(KV, base + d, ld, 0, Tn);
  cp_tile<HD, TKN, NT>(KV + TKN * S, base + 2 * d, ld, 0, Tn);
  cp_async_commit();
  const int wq0 = q0 + warp * RW;  // this warp's first query row
  int qi[MT][2];                   // the two rows of each m-tile this thread holds
#pragma unroll
  for (int mt = 0; mt < MT; mt++) qi[mt][0] = wq0 + 16 * mt + g, qi[mt][1] = wq0 + 16 * mt + g + 8;
  float o[MT][HD / 8][4], m[MT][2], l[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; mt++) {
#pragma unroll
    for (int n = 0; n < HD / 8; n++) o[mt][n][0] = o[mt][n][1] = o[mt][n][2] = o[mt][n][3] = 0.f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.f;
  }
  for (int kt = 0; kt < nkt; kt++) {
    const bf16* Ks = kv_tile_ready<HD, ROPE, TKN>(KV, base, d, ld, kt, nkt, Tn, Qs, q0, cs, sn);
    const bf16* Vs = Ks + TKN * S;
    const int k0 = kt * TKN;
    if (k0 <= wq0 + RW - 1 && wq0 < Tn) {  // warp-uniform: the tile holds keys some row of the warp sees
      float s[MT][TKN / 8][4];
#pragma unroll
      for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int n = 0; n < TKN / 8; n++) s[mt][n][0] = s[mt][n][1] = s[mt][n][2] = s[mt][n][3] = 0.f;
#pragma unroll
      for (int kk = 0; kk < HD / 16; kk++) {
        uint32_t qf[MT][4];  // reloaded per tile (4 ldmatrix against 16 for K): 16 registers fewer than keeping Q
#pragma unroll
        for (int mt = 0; mt < MT; mt++) ldsm_x4(qf[mt], frag_a(Qs, S, warp * RW + 16 * mt, kk * 16, lane));
#pragma unroll
        for (int np = 0; np < TKN / 16; np++) {
          uint32_t bb[4];
          ldsm_x4(bb, frag_b(Ks, S, np * 16, kk * 16, lane));
#pragma unroll
          for (int mt = 0; mt < MT; mt++) {
            mma16816(s[mt][2 * np], qf[mt], bb[0], bb[1]);
            mma16816(s[mt][2 * np + 1], qf[mt], bb[2], bb[3]);
          }
        }
      }
#pragma unroll
      for (int mt = 0; mt < MT; mt++)  // an m-tile the whole tile is masked for gets p = 0 and keeps m, l, o
        online_softmax_tile<TKN, HD>(s[mt], m[mt], l[mt], o[mt], k0, qi[mt], Tn, t, scale_log2,
                                     k0 + TKN - 1 > wq0 + 16 * mt || k0 + TKN > Tn);
      mma_c_bt<HD, MT, TKN>(o, s, Vs, S, lane);
    }
    __syncthreads();  // before the next iteration's copies overwrite this stage
  }
#pragma unroll
  for (int mt = 0; mt < MT; mt++) write_forward_rows<HD>(y, lse, o[mt], m[mt], l[mt], qi[mt], Tn, b, h, d, bh, t);
}

// The fused backward's dQ share (FUSED_DQ below) for the query tile in hand: dq = Σ_k dS[q][k]·K[k]
// over this block's BR keys (dSs holds dSᵀ, every warp's rows; warp w takes queries 16w…16w+15).
// NC < HD: only columns [0, NC) of Ks (the caller offsets Ks to the columns it wants), each column
// summed over the keys in the same order as with all HD, so the same bits; sync: whether to wait for
// every warp's dS rows first (the first pass only).
template <int HD, int NC = HD>
__device__ __forceinline__ void dq_share(float (&dq)[1][NC / 8][4], const bf16* dSs, const bf16* Ks, int warp, int lane,
                                         bool sync = true) {
  constexpr int S = Shape<HD>::S, BR = Shape<HD>::BR, SD = TK + 8;
  if (sync) __syncthreads();  // every warp's dS rows are in
#pragma unroll
  for (int n = 0; n < NC / 8; n++) dq[0][n][0] = dq[0][n][1] = dq[0][n][2] = dq[0][n][3] = 0.f;
#pragma unroll
  for (int jk = 0; jk < BR / 16; jk++) {
    uint32_t a[1][4];
    ldsm_x4_t(a[0], frag_at(dSs, SD, warp * 16, jk * 16, lane));
    mma_a_bt<NC, 1>(dq, a, Ks, S, jk * 16, lane);
  }
}
// DQ_ORDERED: the share of query tile qt added into dq_acc [B, T, d] after key blocks 0 … kb−1 added
// theirs (key block 0 stores).
template <int HD>
__device__ __forceinline__ void add_dq_share(float* dq_acc, int* sem, const bf16* dSs, const bf16* Ks, int kb, int bh,
                                             int qt, int q0, int nq, int Tn, int H, int warp, int lane) {
  float dq[1][HD / 8][4];
  dq_share<HD>(dq, dSs, Ks, warp, lane);
  int* tsem = sem + (size_t)bh * nq + qt;  // how many key blocks have added to this tile
  if (threadIdx.x == 0)
    while (ld_acquire(tsem) != kb) wait_pause();
  __syncthreads();
  const int g = lane >> 2, t = lane & 3, b = bh / H, h = bh % H, d = H * HD;
#pragma unroll
  for (int r = 0; r < 2; r++) {
    const int q = q0 + warp * 16 + g + 8 * r;
    if (q >= Tn) continue;
    float* row = dq_acc + ((size_t)b * Tn + q) * d + (size_t)h * HD;
#pragma unroll
    for (int n = 0; n < HD / 8; n++) {
      float2* p = reinterpret_cast<float2*>(row + n * 8 + 2 * t);
      float2 v = make_float2(dq[0][n][2 * r], dq[0][n][2 * r + 1]);
      if (kb > 0) {  // key block 0 comes first and stores
        const float2 o = ld_l2(p);
        v = make_float2(o.x + v.x, o.y + v.y);
      }
      st_l2(p, v);
    }
  }
  __threadfence();  // the adds are visible before the count says so
  __syncthreads();
  if (threadIdx.x == 0) st_release(tsem, kb + 1);
}
// The share of the query tile in hand (dq_share), pair by pair: put(p, x, y) for the two floats of
// each pair this thread holds, p their place in the row row_of(q) (DQ_PARTIALS, DQ_ATOMIC below).
// PASSES > 1: the columns in that many passes, each holding HD / PASSES of them (fewer registers:
// the atomic kernel at head_dim 64 then fits three blocks per SM; the same sums, so the same bits).
template <int HD, int PASSES = 1, typename RowOf, typename Put>
__device__ __forceinline__ void put_dq_share(const bf16* dSs, const bf16* Ks, int q0, int Tn, int warp, int lane,
                                             RowOf row_of, Put put) {
  constexpr int NC = HD / PASSES;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int c0 = 0; c0 < HD; c0 += NC) {
    float dq[1][NC / 8][4];
    dq_share<HD, NC>(dq, dSs, Ks + c0, warp, lane, c0 == 0);
#pragma unroll
    for (int r = 0; r < 2; r++) {
      const int q = q0 + warp * 16 + g + 8 * r;
      if (q >= Tn) continue;
      float* row = row_of(q) + c0;
#pragma unroll
      for (int n = 0; n < NC / 8; n++) put(row + n * 8 + 2 * t, dq[0][n][2 * r], dq[0][n][2 * r + 1]);
    }
  }
}
// DQ_PARTIALS: the share stored, without waiting, as key block kb's partial part[kb][b][q][h·HD + c]
// (part: [⌈T/BR⌉][B·T][d] fp32); attn2_dq_reduce_kernel adds the partials in key-block order.
template <int HD>
__device__ __forceinline__ void store_dq_share(float* part, const bf16* dSs, const bf16* Ks, int kb, int b, int h,
                                               int q0, int Tn, int H, size_t BT, int warp, int lane) {
  const int d = H * HD;
  put_dq_share<HD>(
      dSs, Ks, q0, Tn, warp, lane, [&](int q) { return part + ((size_t)kb * BT + (size_t)b * Tn + q) * d + (size_t)h * HD; },
      [](float* p, float x, float y) { *reinterpret_cast<float2*>(p) = make_float2(x, y); });
}

// DQ_ATOMIC: the share added into dq_acc [B, T, d] (zeroed before the kernel) by atomic adds, two
// floats at a time where the GPU has them (sm_90: one vector add per pair). The emulator runs the
// blocks one after another in key-block order, so there the sums are the ordered variant's.
#ifndef LOCO_CUDA_EMULATE
__device__ __forceinline__ void red_add2(float* p, float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(p), "f"(a), "f"(b) : "memory");
#else
  atomicAdd(p, a);
  atomicAdd(p + 1, b);
#endif
}
#else
inline void red_add2(float* p, float a, float b) {
  p[0] += a;
  p[1] += b;
}
#endif
// the atomic kernel's dQ passes (put_dq_share's PASSES): two at head_dim 64, where they let it keep
// the three blocks per SM of the kernel without dQ (Shape's DKV_MIN_BLOCKS; one pass took 220
// registers, two blocks), and at 128, where one pass spilled 12 bytes at 255 registers; one at 16, 32
template <int HD>
constexpr int ATOMIC_DQ_PASSES = HD == 64 || HD == 128 ? 2 : 1;
template <int HD>
__device__ __forceinline__ void red_dq_share(float* dq_acc, const bf16* dSs, const bf16* Ks, int b, int h, int q0,
                                             int Tn, int H, int warp, int lane) {
  const int d = H * HD;
  put_dq_share<HD, ATOMIC_DQ_PASSES<HD>>(
      dSs, Ks, q0, Tn, warp, lane, [&](int q) { return dq_acc + ((size_t)b * Tn + q) * d + (size_t)h * HD; },
      [](float* p, float x, float y) { red_add2(p, x, y); });
}

// A query tile's lse and D (rows [q0, q0 + TKN), zeros from Tn on) into dst[0 … TKN) and
// dst[TKN … 2·TKN) with cp.async, in the same group as the tile's Q and dO: until 2026-11-26 the
// threads loaded them with plain loads and stored them before the tile's barrier, so every query
// tile of the dK/dV kernel waited out one global-memory latency (h100-5's profile: this kernel
// latency-bound, 0.40 eligible warps per scheduler; it took 1.57× the dQ kernel's time for 4/3 of
// its matrix products).
template <int TKN, int NT>
__device__ __forceinline__ void cp_rows_lse_d(float* dst, const float* lse, const float* D, int q0, int Tn) {
  for (int e = threadIdx.x; e < 2 * TKN; e += NT) {
    const int i = q0 + (e < TKN ? e : e - TKN);
    const bool ok = i < Tn;
    cp_async4(dst + e, (e < TKN ? lse : D) + (ok ? i : 0), ok);
  }
}

// dK, dV for a block of BR keys (16·MT per warp), streaming TKN-query tiles from the first that can
// see the block's keys.
//
// FUSED_DQ = DQ_PARTIALS (LOCO_CUDA_ATTN_BWD=partials) stores each query tile's share instead, as
// this key block's partial, and the blocks never wait (attn2_dq_reduce_kernel adds the partials).
// FUSED_DQ = DQ_ATOMIC (LOCO_CUDA_ATTN_BWD=atomic) adds it into dq_acc with atomic adds, never
// waiting, in no fixed order (the last bits of dQ may differ from run to run).
//
// FUSED_DQ = DQ_ORDERED (LOCO_CUDA_ATTN_BWD=fused; no fused RoPE): the same block also computes each query
// tile's share of dQ = dS·K from its dS (kept in shared memory) and adds it into an fp32
// accumulator dq_acc [B, T, d] — so the dQ kernel, which computes S and dP a second time, does not
// run (5 matrix products per tile pair instead of 7). The adds stay deterministic: key block kb adds
// to query tile qt only after key blocks 0 … kb−1 did (sem[bh][qt] counts them; block 0 stores),
// so every element is summed in key-block order in every run. Blocks take their (kb, bh) from a
// ticket in the order they start, earliest keys first, so a block waits only on blocks that are
// already running — no deadlock, whatever order the hardware starts them in.
template <int HD, int ROPE, int FUSED_DQ = DQ_SEPARATE, int MT = 1, int TKN = TK>
__global__ void __launch_bounds__(Shape<HD>::NT, ROPE == ROPE_FULL || (FUSED_DQ && !(FUSED_DQ == DQ_ATOMIC && ATOMIC_DQ_PASSES<HD> > 1)) || MT > 1
                                                    ? 1
                                                    : Shape<HD>::DKV_MIN_BLOCKS)
    attn2_bwd_dkv_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy, const float* lse, const float* D, int Tn, int H,
                         float scale, float scale_log2, const float* cs, const float* sn, float* dq_acc = nullptr,
                         int* sem = nullptr, int* ticket = nullptr) {
  static_assert(!(ROPE && FUSED_DQ), "the fused dQ runs without the fused RoPE");
  static_assert((ROPE != ROPE_FULL && !FUSED_DQ) || (MT == 1 && TKN == TK), "the fused RoPE and dQ run with the default tiles");
  constexpr int RW = 16 * MT, BR = Shape<HD>::rows(MT), S = Shape<HD>::S, NT = Shape<HD>::NT, SD = TK + 8;
  static_assert(BR % TKN == 0, "a key block starts on a query tile");
  extern __shared__ __align__(16) unsigned char smraw[];
  bf16* Ks = reinterpret_cast<bf16*>(smraw);  // [BR][S]
  bf16* Vs = Ks + BR * S;                     // [BR][S]
  bf16* QD = Vs + BR * S;                     // stage st: Q at QD + st·2·TKN·S, dO TKN·S further
  float* LD = reinterpret_cast<float*>(QD + 4 * TKN * S);  // stage st: lse at LD + st·2·TKN, D TKN further
  bf16* dSs = reinterpret_cast<bf16*>(LD + 4 * TKN);       // FUSED_DQ: dSᵀ of the tile, [BR keys][SD]
  int kb, bh;
  if constexpr (FUSED_DQ == DQ_ORDERED) {
    int* slot = reinterpret_cast<int*>(dSs + BR * SD);
    if (threadIdx.x == 0) *slot = take_ticket(ticket);
    __syncthreads();
    const int id = *slot, BHn = gridDim.x / ((Tn + BR - 1) / BR);
    kb = id / BHn;
    bh = id % BHn;
  } else {
    // early keys see the most queries: they go first (blocks are dispatched in increasing
    // blockIdx.x; until 2026-11-26 this was reversed, so the longest blocks came last and set the tail)
    kb = blockIdx.x;
    bh = blockIdx.y;
  }
  const int b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const bf16* dyb = dy + (size_t)b * Tn * d + (size_t)h * HD;
  const float* lseb = lse + (size_t)bh * Tn;
  const float* Db = D + (size_t)bh * Tn;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int k0 = kb * BR;
  const int qt0 = k0 / TKN, nq = (Tn + TKN - 1) / TKN;
  cp_tile<HD, BR, NT>(Ks, base + d, ld, k0, Tn);
  cp_tile<HD, BR, NT>(Vs, base + 2 * d, ld, k0, Tn);
  cp_tile<HD, TKN, NT>(QD, base, ld, qt0 * TKN, Tn);
  cp_tile<HD, TKN, NT>(QD + TKN * S, dyb, d, qt0 * TKN, Tn);
  cp_rows_lse_d<TKN, NT>(LD, lseb, Db, qt0 * TKN, Tn);
  cp_async_commit();
  const int wk0 = k0 + warp * RW;  // this warp's first key
  int key[MT][2];                  // the two keys of each m-tile this thread holds
#pragma unroll
  for (int mt = 0; mt < MT; mt++) key[mt][0] = wk0 + 16 * mt + g, key[mt][1] = wk0 + 16 * mt + g + 8;
  float dk[MT][HD / 8][4], dv[MT][HD / 8][4];
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int n = 0; n < HD / 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) dk[mt][n][e] = dv[mt][n][e] = 0.f;
  for (int qt = qt0; qt < nq; qt++) {
    const int st = (qt - qt0) & 1;
    if (qt + 1 < nq) {
      const int ns = st ^ 1, nq0 = (qt + 1) * TKN;
      bf16* nx = QD + ns * 2 * TKN * S;
      cp_tile<HD, TKN, NT>(nx, base, ld, nq0, Tn);
      cp_tile<HD, TKN, NT>(nx + TKN * S, dyb, d, nq0, Tn);
      cp_rows_lse_d<TKN, NT>(LD + ns * 2 * TKN, lseb, Db, nq0, Tn);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    bf16* Qs = QD + st * 2 * TKN * S;
    const bf16* dOs = Qs + TKN * S;
    const float* Lq = LD + st * 2 * TKN;
    const float* Dq = Lq + TKN;
    const int q0 = qt * TKN;
    if constexpr (ROPE == ROPE_FULL) {  // RoPE fused: q, k arrive unrotated
      if (qt == qt0) rope_tile<HD, BR, NT>(Ks, k0, Tn, cs, sn);
      rope_tile<HD, TKN, NT>(Qs, q0, Tn, cs, sn);
      __syncthreads();
    }
    if (q0 + TKN - 1 >= wk0 && wk0 < Tn) {  // warp-uniform: some query of the tile sees a key of the warp
      float sT[MT][TKN / 8][4], dpT[MT][TKN / 8][4];
      score_pair<HD, MT, TKN>(sT, dpT, Ks, Vs, Qs, dOs, warp * RW, lane);
#pragma unroll
      for (int mt = 0; mt < MT; mt++) {  // an m-tile no query of the tile sees gets p = dS = 0
        const int mk0 = wk0 + 16 * mt;
        const bool need_mask = q0 < mk0 + 15 || q0 + TKN > Tn || mk0 + 16 > Tn;
#pragma unroll
        for (int n = 0; n < TKN / 8; n++)
#pragma unroll
          for (int e = 0; e < 4; e++) {
            const int qc = n * 8 + 2 * t + (e & 1);
            const int i = q0 + qc, j = key[mt][e >> 1];
            const bool valid = !need_mask || (i >= j && i < Tn && j < Tn);
            // lse·log2(e) rounded on its own (__fmul_rn: never contracted into the next FMA), as
            // when the kernel still stored the product in shared memory: the same bits
            const float p = valid ? exp2f(sT[mt][n][e] * scale_log2 - __fmul_rn(Lq[qc], LOG2E)) : 0.f;
            sT[mt][n][e] = p;
            dpT[mt][n][e] = p * (dpT[mt][n][e] - Dq[qc]);
          }
      }
#pragma unroll
      for (int jq = 0; jq < TKN / 16; jq++) {
        uint32_t pa[MT][4], sa[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
          a_from_c(pa[mt], sT[mt], jq);
          a_from_c(sa[mt], dpT[mt], jq);
        }
        mma_a_bt<HD, MT>(dv, pa, dOs, S, jq * 16, lane);
        mma_a_bt<HD, MT>(dk, sa, Qs, S, jq * 16, lane);
        if constexpr (FUSED_DQ) {  // the same bf16 dSᵀ fragment, to shared memory for dQ
          bf16* r0 = dSs + (warp * 16 + g) * SD + jq * 16 + 2 * t;
          *reinterpret_cast<uint32_t*>(r0) = sa[0][0];
          *reinterpret_cast<uint32_t*>(r0 + 8 * SD) = sa[0][1];
          *reinterpret_cast<uint32_t*>(r0 + 8) = sa[0][2];
          *reinterpret_cast<uint32_t*>(r0 + 8 * SD + 8) = sa[0][3];
        }
      }
    } else if constexpr (FUSED_DQ) {  // no key of the warp is seen by the tile: its dS rows are 0
      for (int e = lane; e < 16 * TK / 2; e += 32)
        *reinterpret_cast<uint32_t*>(dSs + (warp * 16 + e / (TK / 2)) * SD + 2 * (e % (TK / 2))) = 0u;
    }
    if constexpr (FUSED_DQ == DQ_ORDERED) add_dq_share<HD>(dq_acc, sem, dSs, Ks, kb, bh, qt, q0, nq, Tn, H, warp, lane);
    if constexpr (FUSED_DQ == DQ_PARTIALS)
      store_dq_share<HD>(dq_acc, dSs, Ks, kb, b, h, q0, Tn, H, (size_t)(gridDim.y / H) * Tn, warp, lane);
    if constexpr (FUSED_DQ == DQ_ATOMIC) red_dq_share<HD>(dq_acc, dSs, Ks, b, h, q0, Tn, H, warp, lane);
    __syncthreads();  // before the next iteration's copies overwrite this stage
  }
  bf16* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int r = 0; r < 2; r++) {
      const int j = key[mt][r];
      if (j >= Tn) continue;
      if constexpr (ROPE != ROPE_NONE) unrope_frag<HD>(dk[mt], r, j, cs, sn, t);
      bf16* row = out + (size_t)j * ld;
#pragma unroll
      for (int n = 0; n < HD / 8; n++) {
        *reinterpret_cast<uint32_t*>(row + d + n * 8 + 2 * t) =
            pack2(dk[mt][n][2 * r] * scale, dk[mt][n][2 * r + 1] * scale);
        *reinterpret_cast<uint32_t*>(row + 2 * d + n * 8 + 2 * t) = pack2(dv[mt][n][2 * r], dv[mt][n][2 * r + 1]);
      }
    }
}

// dQ for a block of BR queries (16·MT per warp), streaming TKN-key tiles up to the diagonal.
template <int HD, int ROPE, int MT = 1, int TKN = TK>
__global__ void __launch_bounds__(Shape<HD>::NT) attn2_bwd_dq_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy,
                                                                     const float* lse, const float* D, int Tn, int H,
                                                                     float scale, float scale_log2, const float* cs,
                                                                     const float* sn) {
  static_assert(ROPE != ROPE_FULL || MT == 1, "the fused RoPE runs with 16 rows per warp");
  constexpr int RW = 16 * MT, BR = Shape<HD>::rows(MT), S = Shape<HD>::S, NT = Shape<HD>::NT;
  extern __shared__ __align__(16) unsigned char smraw[];
  bf16* Qs = reinterpret_cast<bf16*>(smraw);  // [BR][S]
  bf16* dOs = Qs + BR * S;                    // [BR][S]
  bf16* KV = dOs + BR * S;                    // stage st: K at KV + st·2·TKN·S, V TKN·S further
  const int qb = gridDim.x - 1 - blockIdx.x;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const bf16* dyb = dy + (size_t)b * Tn * d + (size_t)h * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int q0 = qb * BR;
  const int qlast = (q0 + BR < Tn ? q0 + BR : Tn) - 1;
  const int nkt = qlast / TKN + 1;
  cp_tile<HD, BR, NT>(Qs, base, ld, q0, Tn);
  cp_tile<HD, BR, NT>(dOs, dyb, d, q0, Tn);
  cp_tile<HD, TKN, NT>(KV, base + d, ld, 0, Tn);
  cp_tile<HD, TKN, NT>(KV + TKN * S, base + 2 * d, ld, 0, Tn);
  cp_async_commit();
  const int wq0 = q0 + warp * RW;
  int qi[MT][2];
  float l2[MT][2], dd[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int r = 0; r < 2; r++) {
      const int q = wq0 + 16 * mt + g + 8 * r;
      qi[mt][r] = q;
      l2[mt][r] = q < Tn ? lse[(size_t)bh * Tn + q] * LOG2E : 0.f;
      dd[mt][r] = q < Tn ? D[(size_t)bh * Tn + q] : 0.f;
    }
  float dq[MT][HD / 8][4];
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int n = 0; n < HD / 8; n++) dq[mt][n][0] = dq[mt][n][1] = dq[mt][n][2] = dq[mt][n][3] = 0.f;
  for (int kt = 0; kt < nkt; kt++) {
    const bf16* Ks = kv_tile_ready<HD, ROPE == ROPE_FULL, TKN>(KV, base, d, ld, kt, nkt, Tn, Qs, q0, cs, sn);
    const bf16* Vs = Ks + TKN * S;
    const int k0 = kt * TKN;
    if (k0 <= wq0 + RW - 1 && wq0 < Tn) {
      float s[MT][TKN / 8][4], dp[MT][TKN / 8][4];
      score_pair<HD, MT, TKN>(s, dp, Qs, dOs, Ks, Vs, warp * RW, lane);
#pragma unroll
      for (int mt = 0; mt < MT; mt++) {  // an m-tile that sees no key of the tile gets dS = 0
        const int mq0 = wq0 + 16 * mt;
        const bool need_mask = k0 + TKN - 1 > mq0 || k0 + TKN > Tn || mq0 + 16 > Tn;
#pragma unroll
        for (int n = 0; n < TKN / 8; n++)
#pragma unroll
          for (int e = 0; e < 4; e++) {
            const int r = e >> 1;
            const int j = k0 + n * 8 + 2 * t + (e & 1);
            const bool valid = !need_mask || (j <= qi[mt][r] && j < Tn && qi[mt][r] < Tn);
            const float p = valid ? exp2f(s[mt][n][e] * scale_log2 - l2[mt][r]) : 0.f;
            s[mt][n][e] = p * (dp[mt][n][e] - dd[mt][r]);
          }
      }
      mma_c_bt<HD, MT, TKN>(dq, s, Ks, S, lane);
    }
    __syncthreads();
  }
  bf16* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int r = 0; r < 2; r++) {
      const int q = qi[mt][r];
      if (q >= Tn) continue;
      if constexpr (ROPE != ROPE_NONE) unrope_frag<HD>(dq[mt], r, q, cs, sn, t);
      bf16* row = out + (size_t)q * ld;
#pragma unroll
      for (int n = 0; n < HD / 8; n++)
        *reinterpret_cast<uint32_t*>(row + n * 8 + 2 * t) =
            pack2(dq[mt][n][2 * r] * scale, dq[mt][n][2 * r + 1] * scale);
    }
}

// After the fused backward: dq (the q columns of dqkv) = bf16(dq_acc · scale), 8 elements a thread.
// dq columns c … c+7 of row r in dqkv = bf16(scale · (a, e))
__device__ __forceinline__ void store_dq8(bf16* dqkv, size_t r, size_t c, int d, float4 a, float4 e, float scale) {
  const uint4 v = make_uint4(pack2(a.x * scale, a.y * scale), pack2(a.z * scale, a.w * scale),
                             pack2(e.x * scale, e.y * scale), pack2(e.z * scale, e.w * scale));
  *reinterpret_cast<uint4*>(dqkv + r * 3 * (size_t)d + c) = v;
}
template <int HD>
__global__ void attn2_dq_finish_kernel(bf16* dqkv, const float* dq_acc, size_t rows, int d, float scale) {
  const size_t i = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) * 8, r = i / d, c = i % d;
  if (r >= rows) return;
  store_dq8(dqkv, r, c, d, *reinterpret_cast<const float4*>(dq_acc + i), *reinterpret_cast<const float4*>(dq_acc + i + 4),
            scale);
}

// After the partials backward: dq (the q columns of dqkv) = bf16(scale · Σ_kb part[kb]) over the key
// blocks kb = 0 … ⌊q/BR⌋ that see query q, added in key-block order (the ordered accumulation's
// sums, so its bits), 8 elements a thread.
template <int HD>
__global__ void attn2_dq_reduce_kernel(bf16* dqkv, const float* part, size_t rows, int Tn, int d, float scale) {
  constexpr int BR = Shape<HD>::BR;
  const size_t i = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) * 8, r = i / d, c = i % d;
  if (r >= rows) return;
  const int last = (int)(r % Tn) / BR;
  float4 a = *reinterpret_cast<const float4*>(part + i), e = *reinterpret_cast<const float4*>(part + i + 4);
  for (int kb = 1; kb <= last; kb++) {
    const float* p = part + (size_t)kb * rows * d + i;
    const float4 a2 = *reinterpret_cast<const float4*>(p), e2 = *reinterpret_cast<const float4*>(p + 4);
    a = make_float4(a.x + a2.x, a.y + a2.y, a.z + a2.z, a.w + a2.w);
    e = make_float4(e.x + e2.x, e.y + e2.y, e.z + e2.z, e.w + e2.w);
  }
  store_dq8(dqkv, r, c, d, a, e, scale);
}

// Shared memory of each kernel in bytes (the launcher and the emulator use these).
template <int HD, int MT = 1, int TKN = TK>
constexpr size_t fwd_smem() { return (size_t)(Shape<HD>::rows(MT) + 4 * TKN) * Shape<HD>::S * 2; }
template <int HD, int FUSED_DQ = DQ_SEPARATE, int MT = 1, int TKN = TK>
constexpr size_t dkv_smem() {
  return (size_t)(2 * Shape<HD>::rows(MT) + 4 * TKN) * Shape<HD>::S * 2 + 4 * TKN * 4 +
         (FUSED_DQ ? (size_t)Shape<HD>::BR * (TK + 8) * 2 + 16 : 0);  // dSᵀ tile and the ticket slot
}
template <int HD, int MT = 1, int TKN = TK>
constexpr size_t dq_smem() { return (size_t)(2 * Shape<HD>::rows(MT) + 4 * TKN) * Shape<HD>::S * 2; }

}  // namespace attn_tc2
