// The attention kernels on Hopper's warpgroup MMA (wgmma; LOCO_CUDA_ATTN_BWD and _FWD = wgmma,
// wgmma2, wgmma-sync, and the swizzled wgmma-sw, wgmma2-sw; written 2026-11-26 and 27, checked by
// attention-tc-emu; the unswizzled ones passed gpu-parity on an H200 in h200-7, where the
// two-warpgroup backward became the default at head_dim 128): dK/dV below, dQ (attn3_bwd_dq_kernel, the same design with the roles of
// queries and keys exchanged) and the forward (attn3_fwd_kernel), each with one or two warpgroups
// per block (WgShape's WGS); the dK/dV kernel can also compute dQ (its DQ, LOCO_CUDA_ATTN_BWD=
// wgmma2-atomic) and the forward can take 128-key tiles (its KN, LOCO_CUDA_ATTN_FWD=wgmma2-k128),
// both written 2026-11-27 and not yet run on a GPU; nor have these, from the session after: the
// score products' A operand held in registers (AREG: wgmma2-areg), the stages handed over by
// mbarriers instead of block barriers, with the forward's two warpgroups issuing in turns (MB:
// LOCO_CUDA_ATTN_FWD=wgmma2-pp, LOCO_CUDA_ATTN_BWD=wgmma2-mb), and the forward's copies issued by a
// producer warpgroup (WS: wgmma2-ws), or as TMA boxes by one of its threads (TMA: wgmma2-tma, the
// session after; docs/cuda.md, "wgmma forward"). Why: the tc2 dK/dV kernel reads its B operands from shared memory with ldmatrix, each
// of its four warps the same Q and dO tiles again, ≈ 2.5× the shared-memory time of its tensor time
// (docs/cuda.md, "Why the attention backward stays slow"). Here one warpgroup (the block's 4 warps,
// 64 keys) issues each product as wgmma.mma_async m64nNk16, which reads B from shared memory once per
// 64 rows:
//   Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ   (A = K, V and B = Q, dO, all K-major: head_dim contiguous)
//   dV += Pᵀ·dO, dK += dSᵀ·Q    (A = Pᵀ, dSᵀ from registers, B = dO, Q MN-major: imm-trans-b)
// The probabilities and dS are computed in registers exactly as attn2_bwd_dkv_kernel does (the
// accumulator fragment of warp w is that kernel's C fragment of its 16 keys). Tiles live in shared
// memory as 8-row × 16-byte core matrices without swizzle (the 16-byte chunks of a row 128 bytes
// apart, 8-row groups head_dim·16 bytes apart), filled by cp.async with each warp writing 512
// contiguous bytes; or, with SW, in the 128-byte swizzle (below).
//
// Two schedules of the same products (template PIPE; the same sums in the same order, so the same
// bits): PIPE = false (LOCO_CUDA_ATTN_BWD=wgmma-sync) waits for each batch of products before the
// next step; PIPE = true (LOCO_CUDA_ATTN_BWD=wgmma) overlaps them with the warpgroup's other work as
// FA3 does within a warpgroup: the exponentials run while dPᵀ is computed, dS while dV accumulates,
// and dK's products while the next query tile's copies are awaited and its scores issued; the next
// tile's copies start once the products that read their stage have completed.
//
// What this rests on and no CPU can check: the accumulator and A-register fragment layouts and the
// meaning of the descriptor's LBO and SBO (WG_*_LBO_IS_K below). They are those of CUTLASS's
// canonical GMMA layouts (cute/atom/mma_traits_sm90_gmma.hpp: CLayout_64xN and ALayout_64x16 are
// mma.m16n8k16's C and A fragments of warp w's rows 16w…16w+15; make_gmma_desc's no-swizzle
// ("INTERLEAVE") K-major and MN-major layouts both put the K-direction core-matrix stride in LBO and
// the M/N-direction one in SBO). build/wgmma-probe checks them on a GPU in a second
// (test/wgmma_probe.cu; gpu-check.sh's wgmma_probe stage); the emulator (test/attention_tc_emu.cpp)
// implements wgmma on exactly these readings, and runs each batch of products as late as the
// kernel's waits allow (at the wait), so a register or tile reused before its products completed
// gives wrong numbers there.
#pragma once
#ifndef LOCO_CUDA_EMULATE
#include <cuda.h>  // CUtensorMap (the type only: the map is made through the runtime's driver entry point)
#endif
#include "attention_tc2_kernels.cuh"

namespace attn_tc2 {

// the readings of a no-swizzle descriptor this kernel is written for (CUTLASS's make_gmma_desc, for
// LayoutType::INTERLEAVE: LBO the stride between core matrices along K, SBO along M/N, for K-major
// and MN-major operands alike; with a swizzle the MN-major roles swap, which does not apply here);
// flip them if wgmma-probe says otherwise (gpu-check.sh then builds the wgmma variants once more with
// -DLOCO_WG_KMAJOR_LBO_IS_K=0 or -DLOCO_WG_MNMAJOR_LBO_IS_K=0, its build_wgflip stage)
#ifndef LOCO_WG_KMAJOR_LBO_IS_K
#define LOCO_WG_KMAJOR_LBO_IS_K 1
#endif
#ifndef LOCO_WG_MNMAJOR_LBO_IS_K
#define LOCO_WG_MNMAJOR_LBO_IS_K 1
#endif
// wgmma exists on sm_90a only. A build for several GPUs (the Makefile's CUDA_ARCH, "80 90a" by
// default) compiles this file for each: for the others each wgmma instruction below is a trap
// instead, and the launchers never pick these kernels there (attention_tc2.cu's wgmma_env).
#if defined(__CUDA_ARCH__) && !(__CUDA_ARCH__ == 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL))
#define LOCO_WG_TRAP 1
#endif
constexpr bool WG_KMAJOR_LBO_IS_K = LOCO_WG_KMAJOR_LBO_IS_K != 0;
constexpr bool WG_MNMAJOR_LBO_IS_K = LOCO_WG_MNMAJOR_LBO_IS_K != 0;

// WGS warpgroups per block (1, or 2: LOCO_CUDA_ATTN_BWD/FWD=wgmma2), each its own 64 rows, sharing the
// tiles they all read (dK/dV: Q, dO; dQ and the forward: K, V), so a block copies them once for 64·WGS
// rows — the 32-rows-per-warp kernels' gain at head_dim 128 (h100-5: forward 10.8 → 10.1 ms, dQ
// 19.1 → 16.5 per 1b step), which had to buy it with twice the accumulators per thread
template <int HD, int WGS = 1>
struct WgShape {
  static constexpr int NT = 128 * WGS;          // WGS warpgroups
  static constexpr int ROWS = 64;               // keys per warpgroup (dK/dV) or queries (dQ, forward); tile rows
  static constexpr uint32_t CS = 128;           // bytes between the core matrices of a row's 16-byte chunks
  static constexpr uint32_t RS = HD * 16;       // bytes between 8-row groups
  static constexpr uint32_t TILE = ROWS * HD * 2;
  // the backward's stages of streamed tiles: 3 with two warpgroups (one block per SM: no other block
  // hides a copy's latency, so each gets a whole iteration), 2 with one (three would cost the second
  // block per SM at head_dim 128)
  static constexpr int STAGES = WGS == 2 ? 3 : 2;
  // dK/dV: K, V (WGS tiles each), STAGES × (Q, dO, lse, D); dQ: Q, dO (WGS each), STAGES × (K, V)
  static constexpr size_t smem = (2 * WGS + 2 * STAGES) * (size_t)TILE + 2 * STAGES * ROWS * sizeof(float);
  static constexpr size_t fwd_smem = (WGS + 4) * (size_t)TILE;  // the forward: Q (WGS tiles), 2 × (K, V)
  static constexpr size_t fwd_smem_pipe = (WGS + 6) * (size_t)TILE;  // ... the overlapped one: 3 × (K, V)
  static constexpr size_t fwd_smem_k128 = (WGS + 12) * (size_t)TILE;  // ... with 128-key tiles (224 KB at 128)
  static constexpr size_t fwd_smem_mb = (WGS + 8) * (size_t)TILE + 64;  // ... by mbarrier: 4 × (K, V), 4 mbarriers
  // ... with a producer and 128-key tiles (wgmma2-tma-k128): 3 × (K, V), 3 full and 3 empty mbarriers
  static constexpr size_t fwd_smem_ws_k128 = (WGS + 12) * (size_t)TILE + 48;
  // the dK/dV kernel with dQ (DQ; two warpgroups): and the dS tile (64 queries × 128 keys)
  static constexpr size_t fused_smem = smem + 64 * 128 * 2;
  // the backward by mbarrier (MB, LOCO_CUDA_ATTN_BWD=wgmma2-mb): four stages, and full and empty
  // mbarriers for each
  static constexpr int MB_STAGES = 4;
  static constexpr size_t smem_mb = (2 * WGS + 2 * MB_STAGES) * (size_t)TILE + 2 * MB_STAGES * ROWS * sizeof(float) +
                                    2 * MB_STAGES * sizeof(uint64_t);
};

#ifdef LOCO_CUDA_EMULATE
// test/attention_tc_emu.cpp: wgmma.mma_async m64nNk16 on the warpgroup (the emulated block), N/2
// accumulators per thread; a_regs null: A from the descriptor da
void emu_wgmma(float* d, int N, const uint32_t* a_regs, uint64_t da, uint64_t db, bool trans_b, bool accumulate);
void emu_wgmma_commit();
void emu_wgmma_wait(int pending);
#endif

__device__ __forceinline__ uint32_t wg_smem_offset(const void* p) {
#ifdef LOCO_CUDA_EMULATE
  return (uint32_t)(reinterpret_cast<const unsigned char*>(p) - smraw);
#else
  return (uint32_t)__cvta_generic_to_shared(p);
#endif
}
// a shared-memory matrix descriptor's fields: bits 0-13 the start address, 16-29 LBO, 32-45 SBO (each
// in 16-byte units), base offset 0, bits 62-63 the layout type (0 no swizzle, 1 the 128-byte swizzle)
__device__ __forceinline__ uint64_t wg_desc_encode(const void* p, uint32_t lbo, uint32_t sbo, uint32_t layout) {
  return (uint64_t)((wg_smem_offset(p) >> 4) & 0x3FFF) | ((uint64_t)((lbo >> 4) & 0x3FFF) << 16) |
         ((uint64_t)((sbo >> 4) & 0x3FFF) << 32) | ((uint64_t)layout << 62);
}
// a no-swizzle shared-memory descriptor: start address, the core-matrix strides along K and along
// M/N (bytes)
__device__ __forceinline__ uint64_t wg_desc(const void* p, uint32_t k_stride, uint32_t mn_stride, bool k_major) {
  const bool lbo_k = k_major ? WG_KMAJOR_LBO_IS_K : WG_MNMAJOR_LBO_IS_K;
  return wg_desc_encode(p, lbo_k ? k_stride : mn_stride, lbo_k ? mn_stride : k_stride, 0);
}
// The 128-byte swizzle (SW = true; the opt-in LOCO_CUDA_ATTN_FWD=wgmma-sw / wgmma2-sw and
// LOCO_CUDA_ATTN_BWD=wgmma2-sw, the layout CUTLASS and FA3 use): a 64-row tile is stored as atoms of 8 rows × 128 bytes (64 head_dim
// columns), 16-byte chunk c of row r at chunk c ^ (r % 8) of its row; at head_dim 128 two atom columns,
// the second 64 × 128 bytes after the first. The same tile serves as a K-major operand (Q, K: rows
// are M or N, head_dim is K; SBO = 1024, the 8-row groups; the start moved 32 bytes per 16 columns) and
// as an MN-major one (V: rows are K; SBO = 1024, the 8-row groups; LBO = 64 × 128, the next 64
// head_dim columns). The hardware XORs address bits 4-6 with bits 7-9, so tiles sit at 1024-byte
// aligned shared addresses. h200-7: every wgmma forward without swizzle was 1.4-1.55x slower than
// the mma.sync one, for reasons not yet measured (build/wgmma-rate times both layouts).
constexpr uint32_t WG_SW_ATOM_COL = 64 * 128;  // bytes between a 64-row tile's two atom columns
// AR below: the rows of a swizzled tile's atom columns — 64, or 128 for the forward's 128-key K and V
// tiles (LOCO_CUDA_ATTN_FWD=wgmma2-k128-sw), whose score products read 128 rows as one operand at one
// SBO, so their 8-row groups must follow each other at 1024 bytes for all 128 rows (two 64-row tiles
// would put rows 64-127 of the first atom column after the second atom column at head_dim 128)
__device__ __forceinline__ uint64_t wg_desc_sw(const void* p, uint32_t lbo, uint32_t sbo) {
  return wg_desc_encode(p, lbo, sbo, 1);
}
// the K-major descriptor of head_dim columns [16kk, 16kk + 16) of a 64-row tile (AR rows with SW)
template <bool SW, int HD, int AR = 64>
__device__ __forceinline__ uint64_t wg_desc_k(const unsigned char* tile, int kk);
// byte offset of 16-byte chunk c of row 8·rg + r8 (r8 < 8) in a tile of 64·n rows (n tiles one
// after the other; with SW, AR-row tiles)
template <bool SW, int HD, int AR = 64>
__device__ __forceinline__ uint32_t wg_chunk_off(int rg, int r8, int c);

// cp.async's copies (generic proxy) → visible to wgmma's operand reads (async proxy); then a barrier
__device__ __forceinline__ void wg_fence_smem() {
#if !defined(LOCO_CUDA_EMULATE) && !defined(LOCO_WG_TRAP)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}
// before a batch of wgmma: registers written by ordinary instructions (accumulators, A) are ready
__device__ __forceinline__ void wg_fence_regs() {
#if !defined(LOCO_CUDA_EMULATE) && !defined(LOCO_WG_TRAP)
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
// the products issued since the last commit form one group
__device__ __forceinline__ void wg_commit() {
#ifdef LOCO_CUDA_EMULATE
  emu_wgmma_commit();
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
// every committed group but the last N has completed (its accumulators written, its A registers and
// shared-memory operands read) for this warp
template <int N>
__device__ __forceinline__ void wg_wait() {
#ifdef LOCO_CUDA_EMULATE
  emu_wgmma_wait(N);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}
// After a wait, before ordinary code reads accumulators: the compiler sees each wgmma's accumulators
// as written when the instruction issues, and could otherwise move their first reads above the wait
// (CUTLASS's warpgroup_fence_operand); no instruction is emitted.
template <int N>
__device__ __forceinline__ void wg_fence_acc(float (&d)[N][4]) {
#ifndef LOCO_CUDA_EMULATE
#pragma unroll
  for (int n = 0; n < N; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) asm volatile("" : "+f"(d[n][e])::"memory");
#endif
}
// After the wait that completes the products reading A registers a: the compiler sees them read when
// the products issue and could reuse those registers for other values at once, while the products
// still read them; this keeps them live (and unchanged) until here. No instruction is emitted.
template <int J>
__device__ __forceinline__ void wg_fence_a(uint32_t (&a)[J][4]) {
#ifndef LOCO_CUDA_EMULATE
#pragma unroll
  for (int j = 0; j < J; j++)
#pragma unroll
    for (int e = 0; e < 4; e++) asm volatile("" : "+r"(a[j][e])::"memory");
#endif
}
// d[64 × N] = A·B (+ d where accumulate) over 16 k, both operands in shared memory, A K-major; B
// K-major (the scores, A·Bᵀ: N = 64, or 128 for the forward's 128-key tiles) or, TRANS_B, MN-major
// (imm-trans-b: the fused backward's dQ += dS·K, each warpgroup N = HD/2 of dQ's columns, 32 or 64).
// The first product of a batch does not accumulate (wgmma's scale-d = 0), so the scores need no
// zeroing: zeros written into registers while earlier products run made ptxas inject waits (C7517).
template <int N, bool TRANS_B = false>
__device__ __forceinline__ void wg_ss(float (&d)[N / 8][4], uint64_t da, uint64_t db, bool accumulate) {
#ifdef LOCO_CUDA_EMULATE
  emu_wgmma(&d[0][0], N, nullptr, da, db, TRANS_B, accumulate);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  float* f = &d[0][0];
  if constexpr (N == 32) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, %16, %17, p, 1, 1, 0, %19;\n}\n"
        : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]), "+f"(f[4]), "+f"(f[5]), "+f"(f[6]), "+f"(f[7]), "+f"(f[8]), "+f"(f[9]), "+f"(f[10]), "+f"(f[11]), "+f"(f[12]), "+f"(f[13]), "+f"(f[14]), "+f"(f[15])
        : "l"(da), "l"(db), "r"((int)accumulate), "n"((int)TRANS_B));
  } else if constexpr (N == 64) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, %35;\n}\n"
        : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]), "+f"(f[4]), "+f"(f[5]), "+f"(f[6]), "+f"(f[7]), "+f"(f[8]), "+f"(f[9]), "+f"(f[10]), "+f"(f[11]), "+f"(f[12]), "+f"(f[13]), "+f"(f[14]), "+f"(f[15]), "+f"(f[16]), "+f"(f[17]), "+f"(f[18]), "+f"(f[19]), "+f"(f[20]), "+f"(f[21]), "+f"(f[22]), "+f"(f[23]), "+f"(f[24]), "+f"(f[25]), "+f"(f[26]), "+f"(f[27]), "+f"(f[28]), "+f"(f[29]), "+f"(f[30]), "+f"(f[31])
        : "l"(da), "l"(db), "r"((int)accumulate), "n"((int)TRANS_B));
  } else {
    static_assert(N == 128, "wg_ss: N = 32, 64 or 128");
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, %67;\n}\n"
        : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]), "+f"(f[4]), "+f"(f[5]), "+f"(f[6]), "+f"(f[7]), "+f"(f[8]), "+f"(f[9]), "+f"(f[10]), "+f"(f[11]), "+f"(f[12]), "+f"(f[13]), "+f"(f[14]), "+f"(f[15]), "+f"(f[16]), "+f"(f[17]), "+f"(f[18]), "+f"(f[19]), "+f"(f[20]), "+f"(f[21]), "+f"(f[22]), "+f"(f[23]), "+f"(f[24]), "+f"(f[25]), "+f"(f[26]), "+f"(f[27]), "+f"(f[28]), "+f"(f[29]), "+f"(f[30]), "+f"(f[31]), "+f"(f[32]), "+f"(f[33]), "+f"(f[34]), "+f"(f[35]), "+f"(f[36]), "+f"(f[37]), "+f"(f[38]), "+f"(f[39]), "+f"(f[40]), "+f"(f[41]), "+f"(f[42]), "+f"(f[43]), "+f"(f[44]), "+f"(f[45]), "+f"(f[46]), "+f"(f[47]), "+f"(f[48]), "+f"(f[49]), "+f"(f[50]), "+f"(f[51]), "+f"(f[52]), "+f"(f[53]), "+f"(f[54]), "+f"(f[55]), "+f"(f[56]), "+f"(f[57]), "+f"(f[58]), "+f"(f[59]), "+f"(f[60]), "+f"(f[61]), "+f"(f[62]), "+f"(f[63])
        : "l"(da), "l"(db), "r"((int)accumulate), "n"((int)TRANS_B));
  }
#endif
}
// d[64 × N] = A·B (+ d where accumulate) over 16 k, A from registers (mma.m16n8k16's A fragment of
// warp w's 16 rows), B in shared memory: MN-major (TRANS_B; O += P·V, dV += Pᵀ·dO, dK += dSᵀ·Q, dQ +=
// dS·K with N = HD) or K-major (the scores with A held in registers, LOCO_CUDA_ATTN_*=wgmma2-areg: N =
// 64 or 128 keys or queries). RS reads only B from shared memory: 2 KB per m64n64k16 against SS's 4.
template <int N, bool TRANS_B>
__device__ __forceinline__ void wg_rs(float (&d)[N / 8][4], const uint32_t (&a)[4], uint64_t db, bool accumulate) {
#ifdef LOCO_CUDA_EMULATE
  emu_wgmma(&d[0][0], N, a, 0, db, TRANS_B, accumulate);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  float* f = &d[0][0];
  if constexpr (N == 64) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
        : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]), "+f"(f[4]), "+f"(f[5]), "+f"(f[6]), "+f"(f[7]), "+f"(f[8]), "+f"(f[9]), "+f"(f[10]), "+f"(f[11]), "+f"(f[12]), "+f"(f[13]), "+f"(f[14]), "+f"(f[15]), "+f"(f[16]), "+f"(f[17]), "+f"(f[18]), "+f"(f[19]), "+f"(f[20]), "+f"(f[21]), "+f"(f[22]), "+f"(f[23]), "+f"(f[24]), "+f"(f[25]), "+f"(f[26]), "+f"(f[27]), "+f"(f[28]), "+f"(f[29]), "+f"(f[30]), "+f"(f[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"((int)accumulate), "n"((int)TRANS_B));
  } else {
    static_assert(N == 128, "wg_rs: N = 64 or 128");
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
        : "+f"(f[0]), "+f"(f[1]), "+f"(f[2]), "+f"(f[3]), "+f"(f[4]), "+f"(f[5]), "+f"(f[6]), "+f"(f[7]), "+f"(f[8]), "+f"(f[9]), "+f"(f[10]), "+f"(f[11]), "+f"(f[12]), "+f"(f[13]), "+f"(f[14]), "+f"(f[15]), "+f"(f[16]), "+f"(f[17]), "+f"(f[18]), "+f"(f[19]), "+f"(f[20]), "+f"(f[21]), "+f"(f[22]), "+f"(f[23]), "+f"(f[24]), "+f"(f[25]), "+f"(f[26]), "+f"(f[27]), "+f"(f[28]), "+f"(f[29]), "+f"(f[30]), "+f"(f[31]), "+f"(f[32]), "+f"(f[33]), "+f"(f[34]), "+f"(f[35]), "+f"(f[36]), "+f"(f[37]), "+f"(f[38]), "+f"(f[39]), "+f"(f[40]), "+f"(f[41]), "+f"(f[42]), "+f"(f[43]), "+f"(f[44]), "+f"(f[45]), "+f"(f[46]), "+f"(f[47]), "+f"(f[48]), "+f"(f[49]), "+f"(f[50]), "+f"(f[51]), "+f"(f[52]), "+f"(f[53]), "+f"(f[54]), "+f"(f[55]), "+f"(f[56]), "+f"(f[57]), "+f"(f[58]), "+f"(f[59]), "+f"(f[60]), "+f"(f[61]), "+f"(f[62]), "+f"(f[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"((int)accumulate), "n"((int)TRANS_B));
  }
#endif
}

// mbarriers and named barriers (LOCO_CUDA_ATTN_FWD=wgmma2-pp: the forward's K/V stages handed over by
// mbarriers instead of a block barrier per tile, and the two warpgroups' products in turns;
// LOCO_CUDA_ATTN_BWD=wgmma2-mb: the backward's stages by mbarrier). An mbarrier is named by its
// shared-memory address (wg_smem_offset; 8-byte aligned): one 32-bit register for all of a kernel's,
// where pointers would take two each (the head_dim-128 dK/dV kernel is at 255 registers).
#ifdef LOCO_CUDA_EMULATE
// test/attention_tc_emu.cpp: an mbarrier's phases, cp.async copies done when the phase they arrive
// on completes, bar.sync / bar.arrive on the emulated block's named barriers
void emu_mbar_init(uint32_t bar, int count);
void emu_mbar_arrive(uint32_t bar);
void emu_mbar_wait(uint32_t bar, int parity);
void emu_cp_async_mbar_arrive(uint32_t bar);
void emu_named_barrier(int id, int count, bool wait);
#endif
// an mbarrier expecting `count` arrivals per phase (one thread initializes; a block barrier after it)
__device__ __forceinline__ void mbar_init(uint32_t bar, int count) {
#ifdef LOCO_CUDA_EMULATE
  emu_mbar_init(bar, count);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
#endif
}
// this thread's arrival on the current phase
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
#ifdef LOCO_CUDA_EMULATE
  emu_mbar_arrive(bar);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(bar) : "memory");
#endif
}
// this thread's arrival once all its earlier cp.async copies have landed (.noinc: the arrival is one
// of the `count` the mbarrier was initialized with)
__device__ __forceinline__ void cp_async_mbar_arrive(uint32_t bar) {
#ifdef LOCO_CUDA_EMULATE
  emu_cp_async_mbar_arrive(bar);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
#endif
}
// wait until the phase of parity `parity` has completed (with acquire semantics: what the arriving
// threads wrote before their arrival is visible)
__device__ __forceinline__ void mbar_wait(uint32_t bar, int parity) {
#ifdef LOCO_CUDA_EMULATE
  emu_mbar_wait(bar, parity);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  uint32_t done = 0;
  while (!done)
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done) : "r"(bar), "r"(parity) : "memory");
#endif
}
// a warpgroup's register budget from here on (sm_90a setmaxnreg; all 128 threads at once): the
// warp-specialized forward's producer gives registers up, its consumers take them (ptxas allocates
// the code after each for its new count)
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
#if !defined(LOCO_CUDA_EMULATE) && !defined(LOCO_WG_TRAP)
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
#if !defined(LOCO_CUDA_EMULATE) && !defined(LOCO_WG_TRAP)
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}
// named barrier `id` (1 … 15; 0 is __syncthreads') of `N` threads: WAIT there (bar.sync), or only
// count as arrived (bar.arrive)
template <int N, bool WAIT>
__device__ __forceinline__ void named_barrier(int id) {
#ifdef LOCO_CUDA_EMULATE
  emu_named_barrier(id, N, WAIT);
#else
  if constexpr (WAIT) asm volatile("bar.sync %0, %1;\n" ::"r"(id), "n"(N) : "memory");
  else asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "n"(N) : "memory");
#endif
}

// The forward's copies by the Tensor Memory Accelerator (TMA; LOCO_CUDA_ATTN_FWD=wgmma2-tma): one
// thread issues each 64-row × 64-column box of qkv as one cp.async.bulk.tensor, which writes it in the
// 128-byte swizzle (box row r at 128·r, its 16-byte chunk c at c ^ (r % 8): the hardware XORs address
// bits 4-6 with bits 7-9, so at a 1024-byte aligned destination it is the SW layout's atom column) and
// fills rows past the map's end with zeros, as the cp.async copies do; the copies' bytes count on an
// mbarrier, whose phase completes once its arrivals are in and the bytes it was told to expect
// (mbarrier.arrive.expect_tx) have landed. The map (attention_tc2.cu's qkv_map): qkv as a 3-D bf16
// tensor of 3·d columns (q, k, v of every head), Tn rows, B sequences; a box is 64 × 64 × 1.
#ifdef LOCO_CUDA_EMULATE
// (TmaMap: test/attention_tc_emu.cpp's, defined before this header: what a box reads)
void emu_mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes);
void emu_mbar_expect_tx(uint32_t bar, uint32_t bytes);
void emu_tma_load_3d(uint32_t dst, const TmaMap* map, int c0, int c1, int c2, uint32_t bar);
#else
using TmaMap = CUtensorMap;
#endif
// this thread's arrival on the current phase, which from now on also waits for `bytes` more bytes of
// TMA copies to land
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
#ifdef LOCO_CUDA_EMULATE
  emu_mbar_arrive_expect_tx(bar, bytes);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}\n" ::"r"(bar), "r"(bytes)
               : "memory");
#endif
}
// `bytes` more for the current phase to wait for, without an arrival
__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes) {
#ifdef LOCO_CUDA_EMULATE
  emu_mbar_expect_tx(bar, bytes);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile("mbarrier.expect_tx.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
#endif
}
// box (c0, c1, c2) (column, row, sequence of its first element) of the map into shared memory at dst
// (a shared-memory address), its bytes counted on the mbarrier at bar
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const TmaMap* map, int c0, int c1, int c2, uint32_t bar) {
#ifdef LOCO_CUDA_EMULATE
  emu_tma_load_3d(dst, map, c0, c1, c2, bar);
#elif defined(LOCO_WG_TRAP)
  __trap();
#else
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
      : "memory");
#endif
}
// TMA: rows [r0, r0 + ROWS) of columns [c0, c0 + HD) of sequence `seq` of a map into the SW layout
// at dst (AR-row atom columns, as wg_cp_tile writes it), their bytes counted on the mbarrier at bar:
// a 64 × 64 box per 64 rows and 64 columns, placed where wg_chunk_off puts its first row's first chunk
template <int HD, int ROWS, int AR = 64>
__device__ __forceinline__ void tma_tiles(uint32_t dst, const TmaMap* map, int c0, int r0, int seq, uint32_t bar) {
  for (int rb = 0; rb < ROWS / 64; rb++)
    for (int c = 0; c < HD / 64; c++)
      tma_load_3d(dst + wg_chunk_off<true, HD, AR>(8 * rb, 0, 8 * c), map, c0 + 64 * c, r0 + 64 * rb, seq, bar);
}
// the map's 128 bytes fetched ahead of the first copy that reads them (no effect on results)
__device__ __forceinline__ void tma_prefetch_map(const TmaMap* map) {
#if !defined(LOCO_CUDA_EMULATE) && !defined(LOCO_WG_TRAP)
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
#endif
}

// The pipeline's wait for the tile in hand (more: a later tile's copies were issued after it, and
// may stay in flight): this thread's copies done, visible to wgmma, then everyone's.
__device__ __forceinline__ void wg_tile_ready(bool more) {
  if (more) cp_async_wait<1>();
  else cp_async_wait<0>();
  wg_fence_smem();
  __syncthreads();
}
// desc + o (o in 16-byte units: a start address o·16 bytes further), computed where it is used: the
// compiler would otherwise hoist every such sum of a loop out of it and hold them all in registers
// (a two-warpgroup block's A tiles sit at a per-warpgroup offset: 4 more registers and a 40-byte
// spill in the head_dim-128 dK/dV kernel at 255)
__device__ __forceinline__ uint64_t wg_desc_at(uint64_t desc, uint32_t o) {
#ifdef LOCO_CUDA_EMULATE
  return desc + o;
#else
  uint64_t r;
  asm volatile("add.u64 %0, %1, %2;\n" : "=l"(r) : "l"(desc), "l"((uint64_t)o));
  return r;
#endif
}
template <bool SW, int HD, int AR>
__device__ __forceinline__ uint64_t wg_desc_k(const unsigned char* tile, int kk) {
  using W = WgShape<HD>;
  if constexpr (SW) return wg_desc_sw(tile + (kk / 4) * (AR * 128) + (kk % 4) * 32, 16, 1024);
  else return wg_desc(tile + kk * 2 * W::CS, W::CS, W::RS, true);
}
template <bool SW, int HD, int AR>
__device__ __forceinline__ uint32_t wg_chunk_off(int rg, int r8, int c) {
  using W = WgShape<HD>;
  constexpr int G = AR / 8;  // 8-row groups per atom column
  if constexpr (SW)
    return (rg / G) * (AR * HD * 2) + (c / 8) * (AR * 128) + (rg % G) * 1024 + r8 * 128 + ((c % 8) ^ r8) * 16;
  else return rg * W::RS + c * W::CS + r8 * 16;
}
// acc = A·Bᵀ over head_dim (64 × 64; A, B K-major 64-row tiles, with WGS > 1 A a_off·16 bytes after
// A; acc's old values unused) as one group, issued and not waited for
template <int HD, int WGS, bool SW = false, int NC>
__device__ __forceinline__ void wg_issue_scores(float (&acc)[NC][4], const unsigned char* A, const unsigned char* B,
                                                uint32_t a_off) {
  static_assert(NC == 8 || NC == 16, "scores of 64 or 128 keys (B: 128-row atom columns with SW, AR)");
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) {  // 16 head_dim columns (two core matrices) per step
    uint64_t da = wg_desc_k<SW, HD>(A, kk);
    if constexpr (WGS > 1) da = wg_desc_at(da, a_off);
    wg_ss<8 * NC>(acc, da, wg_desc_k<SW, HD, 8 * NC>(B, kk), kk > 0);
  }
  wg_commit();
}
template <int N>
__device__ __forceinline__ void wg_zero(float (&acc)[N][4]) {
#pragma unroll
  for (int n = 0; n < N; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) acc[n][e] = 0.f;
  // the zeros in place before the loop's first batch (else the compiler may sink them into it, and
  // ptxas then serializes the kernel's wgmma: C7515)
  wg_fence_acc(acc);
}
// The forward's scores: acc = A·Bᵀ (Q against K), one group, not waited for. a_off: the warpgroup's
// A tile is that many 16-byte units after A (wg_tile_off).
template <int HD, int WGS, bool SW = false, int NC>
__device__ __forceinline__ void wg_scores(float (&acc)[NC][4], const unsigned char* A, const unsigned char* B,
                                          uint32_t a_off) {
  wg_fence_regs();
  wg_issue_scores<HD, WGS, SW>(acc, A, B, a_off);
}
// The A fragments (mma.m16n8k16's: warp w's rows 16w…16w+15) of a 64-row tile in shared memory, for
// every 16 head_dim columns: a[kk] holds columns [16kk, 16kk + 16). Read once per block by the
// kernels that hold an operand in registers (AREG), after the barrier that follows its copies.
template <bool SW, int HD>
__device__ __forceinline__ void wg_load_a(uint32_t (&a)[HD / 16][4], const unsigned char* tile, int warp, int g, int t) {
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++)
#pragma unroll
    for (int e = 0; e < 4; e++)  // e: rows g, g + 8 (bit 0), columns 2t, 2t + 8 (bit 1)
      a[kk][e] = *reinterpret_cast<const uint32_t*>(tile + wg_chunk_off<SW, HD>(2 * warp + (e & 1), g, 2 * kk + (e >> 1)) + 4 * t);
}
// acc = A·Bᵀ over head_dim with A from registers (wg_load_a's fragments; B K-major: 64 rows, or 128
// with NC = 16, AR as in wg_issue_scores), one group, issued and not waited for: only B is read from
// shared memory. The registers a must stay unchanged until the wait that covers the group
// (wg_fence_a after it).
template <int HD, bool SW = false, int NC>
__device__ __forceinline__ void wg_issue_scores_regs(float (&acc)[NC][4], const uint32_t (&a)[HD / 16][4], const unsigned char* B) {
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) wg_rs<8 * NC, false>(acc, a[kk], wg_desc_k<SW, HD, 8 * NC>(B, kk), kk > 0);
  wg_commit();
}
template <int HD, bool SW = false, int NC>
__device__ __forceinline__ void wg_scores_regs(float (&acc)[NC][4], const uint32_t (&a)[HD / 16][4], const unsigned char* B) {
  wg_fence_regs();
  wg_issue_scores_regs<HD, SW>(acc, a, B);
}
// The backward's two score-like products: acc1 = A1·B1ᵀ, then acc2 = A2·B2ᵀ, each its own group, not
// waited for. dK/dV: (K, V) against (Q, dO) for Sᵀ, dPᵀ; dQ: (Q, dO) against (K, V) for S, dP. a_off
// as in wg_scores, for A1 and A2.
template <int HD, int WGS, bool SW = false>
__device__ __forceinline__ void wg_score_pair(float (&acc1)[8][4], float (&acc2)[8][4], const unsigned char* A1,
                                              const unsigned char* A2, const unsigned char* B1, const unsigned char* B2,
                                              uint32_t a_off) {
  wg_fence_regs();
  wg_issue_scores<HD, WGS, SW>(acc1, A1, B1, a_off);
  wg_issue_scores<HD, WGS, SW>(acc2, A2, B2, a_off);
}
// ... with A1, A2 held in registers (AREG; wg_load_a's fragments, unchanged until the wait that
// completes acc2)
template <int HD, bool SW = false>
__device__ __forceinline__ void wg_score_pair_regs(float (&acc1)[8][4], float (&acc2)[8][4], const uint32_t (&a1)[HD / 16][4],
                                                   const uint32_t (&a2)[HD / 16][4], const unsigned char* B1,
                                                   const unsigned char* B2) {
  wg_fence_regs();
  wg_issue_scores_regs<HD, SW>(acc1, a1, B1);
  wg_issue_scores_regs<HD, SW>(acc2, a2, B2);
}
// the offset of warpgroup wg's 64-row tile from the first, in a descriptor's 16-byte units
template <int HD>
__device__ __forceinline__ uint32_t wg_tile_off(int wg) {
  return (uint32_t)wg * (WgShape<HD>::TILE >> 4);
}
// The descriptor of rows [16j, 16j + 16) of a 64-row tile read MN-major (as B with K = its rows, N =
// head_dim): dO, Q in dV, dK; K in dQ (AR: the rows of a swizzled tile's atom columns, 128 for the
// forward's 128-key V)
template <int HD, bool SW = false, int AR = 64>
__device__ __forceinline__ uint64_t wg_desc_rows(const unsigned char* tile, int j) {
  using W = WgShape<HD>;
  if constexpr (SW) return wg_desc_sw(tile + j * 2 * 1024, AR * 128, 1024);
  else return wg_desc(tile + j * 2 * W::RS, W::RS, W::CS, false);
}
// acc (64 × HD) += C·B: C the 64 × 64 accumulator fragments c (P, dS or their transposes), rounded
// to bf16 into the A registers a — which the products read until they complete, so a must not
// change before the wait that covers this group — and B a 64-row tile read MN-major (its rows are
// the K index): one group, issued and not waited for. dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K, O += P·V.
// (J = 8: a 128-row tile, the forward's 128-key tiles: without swizzle two 64-row tiles one after the
// other, whose 8-row groups continue at the same stride; with it, 128-row atom columns, AR)
template <int HD, bool SW = false, int J>
__device__ __forceinline__ void wg_issue_rs_regs(float (&acc)[HD / 8][4], const uint32_t (&a)[J][4], const unsigned char* tile) {
  static_assert(J == 4 || J == 8, "a 64-row tile or a 128-row one");
  wg_fence_regs();
#pragma unroll
  for (int j = 0; j < J; j++)  // 16 rows of the tile (two 8-row groups) per step
    wg_rs<HD, true>(acc, a[j], wg_desc_rows<HD, SW, 16 * J>(tile, j), true);
  wg_commit();
}
template <int HD, bool SW = false, int J>
__device__ __forceinline__ void wg_issue_rs(float (&acc)[HD / 8][4], uint32_t (&a)[J][4], const float (&c)[2 * J][4],
                                            const unsigned char* tile) {
#pragma unroll
  for (int j = 0; j < J; j++) a_from_c(a[j], c, j);
  wg_issue_rs_regs<HD, SW>(acc, a, tile);
}
// stage i of S (i ≥ 0; unsigned, so that for S = 2 it is i & 1)
template <int S>
__device__ __forceinline__ int wg_stage(int i) {
  return (int)((unsigned)i % S);
}
// Stages handed over by mbarriers (MB, WS): tile j (j ≥ 0) in stage j % NS, whose full and empty
// barriers sit at full + 8·stage and empty + 8·stage.
// Tile j landed (full's phase j / NS completed) and is visible to wgmma.
template <int NS>
__device__ __forceinline__ void wg_stage_landed(uint32_t full, int j) {
  mbar_wait(full + 8 * wg_stage<NS>(j), (j / NS) & 1);
  wg_fence_smem();
}
// Tile j's stage is free: every reader of tile j − NS, its last tile, arrived on its empty barrier
// (the first NS tiles find their stages unused).
template <int NS>
__device__ __forceinline__ void wg_stage_free(uint32_t empty, int j) {
  if (j >= NS) mbar_wait(empty + 8 * wg_stage<NS>(j), (j / NS - 1) & 1);
}

// this thread's warpgroup (0 in a one-warpgroup block: the compiler cannot know threadIdx.x < 128)
template <int WGS>
__device__ __forceinline__ int wg_index() {
  return WGS == 1 ? 0 : (int)threadIdx.x / 128;
}
// One (batch, head)'s view of the backward's inputs: its q columns in qkv (k at + d, v at + 2d; rows
// 3d apart), its dy columns (rows d apart), its rows of lse and D. (attn2_bwd_dkv_kernel computes
// the same pointers in line; it was left as measured.)
struct HeadIn {
  const bf16 *qkv, *dy;
  const float *lse, *D;
};
template <int HD>
__device__ __forceinline__ HeadIn head_in(const bf16* qkv, const bf16* dy, const float* lse, const float* D, int bh,
                                          int Tn, int H) {
  const int b = bh / H, h = bh % H, d = H * HD;
  return {qkv + (size_t)b * Tn * 3 * (size_t)d + (size_t)h * HD, dy + (size_t)b * Tn * d + (size_t)h * HD,
          lse + (size_t)bh * Tn, D + (size_t)bh * Tn};
}

// rows [r0, r0 + ROWS) of a [*, ld] bf16 matrix (columns [0, HD)) into the core-matrix layout, zeros
// from row Tn on (ROWS = 64·n: n tiles one after the other), by the block's NT threads. Lane L of a
// warp copies chunk L/8 (+ the warp's offset) of row L%8 of an 8-row group: the warp writes 512
// contiguous bytes (no bank conflicts) and reads 64 contiguous bytes of each of 8 rows (whole
// 32-byte sectors).
// (SW: the 128-byte swizzle's places, wg_chunk_off; the 8 lanes of a chunk write 8 rows' chunks at
// 8 different 16-byte bank groups, so no bank conflicts either)
// (AR: wg_chunk_off's; the forward's 128-key K and V tiles with SW)
// (ROLLED: a rolled loop always: the warp-specialized forward's producer, at 40 registers)
template <int HD, int NT = 128, int ROWS = 64, bool SW = false, int AR = 64, bool ROLLED = false>
__device__ __forceinline__ void wg_cp_tile(unsigned char* dst, const bf16* src, size_t ld, int r0, int Tn) {
  constexpr int NCH = HD / 8, GROUPS = NT / 8 / NCH, PASSES = ROWS / 8 / GROUPS;
  static_assert(GROUPS * NCH * 8 == NT && PASSES * GROUPS * 8 == ROWS, "wg_cp_tile: NT threads cover whole 8-row groups");
  const int r8 = threadIdx.x % 8, idx = threadIdx.x / 8, c = idx % NCH, rg0 = idx / NCH;
  // (a rolled loop for the 128-key tiles: unrolled, the swizzled forward's 16 copies per tile held
  // their addresses across the loop, 16 bytes of spill at head_dim 128)
#pragma unroll((AR == 128 || ROLLED) ? 1 : PASSES)
  for (int p = 0; p < PASSES; p++) {
    const int rg = p * GROUPS + rg0, row = r0 + rg * 8 + r8;
    const bool ok = row < Tn;
    cp_async16(reinterpret_cast<bf16*>(dst + wg_chunk_off<SW, HD, AR>(rg, r8, c)), ok ? src + (size_t)row * ld + c * 8 : src, ok);
  }
}

// wg_stage_qdo: query tile qt's Q, dO, lse and D into stage st of the dK/dV kernel's double buffer, one
// cp.async group
template <int HD, int NT, bool SW = false>
__device__ __forceinline__ void wg_stage_qdo(unsigned char* QD, float* LD, int st, const HeadIn& in, size_t ld, int d,
                                             int qt, int Tn) {
  using W = WgShape<HD>;
  unsigned char* q = QD + st * 2 * W::TILE;
  wg_cp_tile<HD, NT, 64, SW>(q, in.qkv, ld, qt * W::ROWS, Tn);
  wg_cp_tile<HD, NT, 64, SW>(q + W::TILE, in.dy, d, qt * W::ROWS, Tn);
  cp_rows_lse_d<W::ROWS, NT>(LD + st * 2 * W::ROWS, in.lse, in.D, qt * W::ROWS, Tn);
  cp_async_commit();
}

// The fused backward's dS into the shared 64-query × 128-key tile (a head_dim-128 tile's layout, rows
// are queries; with SW in the 128-byte swizzle, keys 0-63 and 64-127 its two atom columns): sa[j][e]
// holds the bf16 pair (queries 8n + 2t and + 1, n = 2j + e / 2; key 64·wg + 16·warp + g + 8·(e % 2)),
// two rows apart in a K-major tile, so two 2-byte stores. A store's lanes fill 4 × 16 bytes of one
// 128-byte span, the 4 rows' chunks different with the swizzle too: no bank conflict.
template <bool SW>
__device__ __forceinline__ void wg_store_ds(unsigned char* DS, const uint32_t (&sa)[4][4], int wg, int warp, int g, int t) {
  const int kc = wg * 64 + warp * 16 + g;
#pragma unroll
  for (int j = 0; j < 4; j++)
#pragma unroll
    for (int e = 0; e < 4; e++)
#pragma unroll
      for (int u = 0; u < 2; u++) {
        const int q = 8 * (2 * j + (e >> 1)) + 2 * t + u, c = kc / 8 + (e & 1);  // query row, key chunk
        *reinterpret_cast<uint16_t*>(DS + wg_chunk_off<SW, 128>(q / 8, q % 8, c) + (kc % 8) * 2) =
            (uint16_t)(sa[j][e] >> (16 * u));
      }
}
// (Not bounded to 3 blocks per SM at head_dim 64: the overlapped schedule then fits in 164 registers
// without spills, but ptxas serializes its wgmma for want of registers, C7512.)
// WGS > 1: warpgroup w holds keys k0 + 64w … k0 + 64w + 63 of the block's 64·WGS. It works on every
// query tile of the block, also those before its first key: their probabilities are all masked, so
// its products add exact zeros (the same bits as starting later). Skipping them instead (as the dQ and
// forward kernels skip their warpgroups' last tile) makes ptxas serialize this kernel's wgmma (C7515).
// SW (LOCO_CUDA_ATTN_BWD=wgmma2-sw: two warpgroups, overlapped): the tiles in the 128-byte swizzle, as
// in the forward.
// DQ (LOCO_CUDA_ATTN_BWD=wgmma2-atomic; two warpgroups, overlapped; swizzled at head_dim 128 only,
// wgmma2-atomic-sw; written 2026-11-27, checked by attention-tc-emu, not yet run on a GPU): the
// kernel also computes dQ, as
// FlashAttention-2 and -3 do, instead of the dQ kernel computing S and dP once more — 5 products per
// (key, query) tile pair instead of the two kernels' 7. Per query tile, after dSᵀ: each warpgroup
// stores its 64 keys' dS (bf16, the values dK's product reads) into one shared 64-query × 128-key
// tile, K-major (rows are queries); after a barrier, warpgroup w computes dQ's columns
// [w·HD/2, (w+1)·HD/2) over all 128 keys (8 × m64n(HD/2)k16, A = that tile, B = the block's K tiles
// read MN-major) and adds them into dq_acc [B, T, d] (fp32, zeroed before; attn2_dq_finish_kernel
// converts it) with atomic adds. dQ's products are issued before dK's, so the wait that completes
// them leaves dK's running while the adds go out; the next tile's first barrier (every warpgroup past
// that wait) frees the dS tile for its stores, and the dS barrier is also the one after which the
// next Q/dO tile's copies go out. dQ is summed per key block, then across blocks in
// whatever order the adds land: not bit-reproducible from run to run (in the emulator, blocks in
// order, it is; dK and dV are the kernel's without DQ, bit for bit).
// TMA (LOCO_CUDA_ATTN_BWD=wgmma2-tma; attn3_bwd_dkv_tma_kernel, which takes maps of qkv and dy): MB
// with the tiles' copies TMA boxes issued by thread 0 (tma_tiles), once the stage is free; lse and D
// stay cp.async copies of every thread (their rows need not be 16-byte aligned), so full[st] has
// NT + 1 arrivals: every thread's copies and thread 0's byte count.
template <int HD, bool PIPE, int WGS, bool SW = false, bool DQ = false, bool AREG = false, bool MB = false, bool TMA = false>
__device__ __forceinline__ void attn3_bwd_dkv(bf16* dqkv, const bf16* qkv, const bf16* dy, const float* lse, const float* D, int Tn,
                                              int H, float scale, float scale_log2, float* dq_acc, const TmaMap* qkv_map,
                                              const TmaMap* dy_map) {
  // (with SW at head_dim 128 only: there each warpgroup's dQ columns are one atom column of K; at 64
  // they would start mid-atom, a descriptor start no kernel here has checked on a GPU)
  static_assert(!DQ || (PIPE && WGS == 2 && (!SW || HD == 128)), "dQ in the dK/dV kernel: two warpgroups, overlapped");
  static_assert(!AREG || (PIPE && WGS == 2 && HD == 64), "K and V in registers: head_dim 64, two warpgroups, overlapped");
  static_assert(!MB || (PIPE && WGS == 2 && !DQ), "stages by mbarrier: two warpgroups, overlapped, without dQ");
  static_assert(!TMA || (MB && SW && !AREG), "TMA: the swizzled kernel with mbarrier stages");
  using W = WgShape<HD, WGS>;
  constexpr int R = W::ROWS, NT = W::NT;
  constexpr int NS = MB ? W::MB_STAGES : W::STAGES;  // stages of Q, dO, lse, D
  extern __shared__ __align__(16) unsigned char smraw[];
  unsigned char* Ks = smraw;  // warpgroup w's keys at Ks + w·TILE (and Vs + w·TILE)
  if constexpr (SW) Ks += (1024 - (wg_smem_offset(smraw) & 1023)) & 1023;
  unsigned char* Vs = Ks + WGS * W::TILE;
  unsigned char* QD = Vs + WGS * W::TILE;  // stage st: Q at QD + st·2·TILE, dO TILE further
  unsigned char* DS = QD + 2 * NS * W::TILE;  // DQ: dS, 64 queries × 128 keys (1024-aligned, as SW needs)
  float* LD = reinterpret_cast<float*>(DS + (DQ ? 64 * 128 * 2 : 0));  // stage st: lse at LD + st·2·R, D R further
  // MB: full[st] (the stage's tile landed: every thread's copies) and empty[st] (every thread's
  // products reading it completed), NT arrivals each
  const uint32_t full = wg_smem_offset(LD + 2 * NS * R), empty = full + 8 * NS;  // [st] at + 8·st
  if constexpr (MB) {
    if (threadIdx.x == 0)
      for (int i = 0; i < 2 * NS; i++) mbar_init(full + 8 * i, TMA && i < NS ? NT + 1 : NT);
    __syncthreads();
  }
  const int kb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H, d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const HeadIn in = head_in<HD>(qkv, dy, lse, D, bh, Tn, H);  // (TMA: qkv, dy are null, only lse and D read)
  const int wg = wg_index<WGS>(), warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int k0 = kb * R * WGS, nq = (Tn + R - 1) / R, qt0 = kb * WGS;
  // query tile qt's Q, dO, lse and D into stage st, one cp.async group; with MB, arriving on full[st]
  // once landed. TMA: Q and dO as boxes by thread 0, lse and D by cp.async.
  auto stage_qdo_mb = [&](int st, int qt) {
    if constexpr (TMA) {
      if (threadIdx.x == 0) {
        const uint32_t q = wg_smem_offset(QD + st * 2 * W::TILE), bar = full + 8 * st;
        mbar_arrive_expect_tx(bar, 2 * W::TILE);
        tma_tiles<HD, R>(q, qkv_map, h * HD, qt * R, b, bar);
        tma_tiles<HD, R>(q + W::TILE, dy_map, h * HD, qt * R, b, bar);
      }
      cp_rows_lse_d<W::ROWS, NT>(LD + st * 2 * R, in.lse, in.D, qt * R, Tn);
      cp_async_commit();
    } else {
      wg_stage_qdo<HD, NT, SW>(QD, LD, st, in, ld, d, qt, Tn);
    }
    if constexpr (MB) cp_async_mbar_arrive(full + 8 * st);
  };
  if constexpr (TMA) {
    if (threadIdx.x == 0) {
      tma_prefetch_map(qkv_map);
      tma_prefetch_map(dy_map);
      mbar_expect_tx(full, 2 * WGS * W::TILE);  // K and V: bytes on stage 0's phase, no arrival
      tma_tiles<HD, R * WGS>(wg_smem_offset(Ks), qkv_map, d + h * HD, k0, b, full);
      tma_tiles<HD, R * WGS>(wg_smem_offset(Vs), qkv_map, 2 * d + h * HD, k0, b, full);
    }
  } else {
    wg_cp_tile<HD, NT, R * WGS, SW>(Ks, in.qkv + d, ld, k0, Tn);
    wg_cp_tile<HD, NT, R * WGS, SW>(Vs, in.qkv + 2 * d, ld, k0, Tn);
  }
  stage_qdo_mb(0, qt0);  // (one group with K and V)
  // PIPE: the copies run AHEAD tiles ahead of the products (tile qt + AHEAD starts in iteration qt,
  // once the products of tile qt − 1, which read its stage, completed). MB: 2 ahead with 4 stages,
  // into the stage of tile qt − 2, once every thread arrived on its empty barrier (in iteration
  // qt − 1, after the wait that completed its products): a warpgroup may run a tile ahead.
  constexpr int AHEAD = MB ? 2 : W::STAGES - 1;
  if (PIPE && AHEAD > 1 && qt0 + 1 < nq) stage_qdo_mb(1, qt0 + 1);
  const int wk = k0 + wg * R, wk0 = wk + warp * 16, key[2] = {wk0 + g, wk0 + g + 8};
  const uint32_t a_off = wg_tile_off<HD>(wg);  // this warpgroup's K, V tiles (the scores' A)
  float dk[HD / 8][4], dv[HD / 8][4];
  wg_zero(dk);
  wg_zero(dv);
  // Sᵀ then Pᵀ, dPᵀ then dSᵀ (C fragments), and Pᵀ, dSᵀ as A fragments: outside the loop, since with
  // PIPE a batch of products reading pa or sa completes in the next iteration
  float sT[8][4], dpT[8][4];
  uint32_t pa[4][4] = {}, sa[4][4] = {};
  // AREG: this warp's keys of K and V as A fragments, for every query tile's Sᵀ and dPᵀ (read once the
  // first group landed; the first iteration's wait then finds it done)
  uint32_t ka[AREG ? HD / 16 : 1][4], va[AREG ? HD / 16 : 1][4];
  if constexpr (AREG) {
    if constexpr (MB) wg_stage_landed<NS>(full, 0);
    else wg_tile_ready(AHEAD > 1 && qt0 + 1 < nq);
    wg_load_a<SW, HD>(ka, Ks + wg * W::TILE, warp, g, t);
    wg_load_a<SW, HD>(va, Vs + wg * W::TILE, warp, g, t);
  }
  for (int qt = qt0; qt < nq; qt++) {
    const int st = wg_stage<NS>(qt - qt0);
    // PIPE: a later tile's copies start below, once the products reading their stage completed
    if (!PIPE && qt + 1 < nq) wg_stage_qdo<HD, NT, SW>(QD, LD, st ^ 1, in, ld, d, qt + 1, Tn);
    // (with PIPE and three stages tile qt + 1's copies, issued after tile qt's, may stay in flight)
    if constexpr (MB) wg_stage_landed<NS>(full, qt - qt0);  // (tiles counted from this block's first)
    else wg_tile_ready(PIPE ? AHEAD > 1 && qt + 1 < nq : qt + 1 < nq);
    const unsigned char* Qs = QD + st * 2 * W::TILE;
    const unsigned char* dOs = Qs + W::TILE;
    const float* Lq = LD + st * 2 * R;
    const float* Dq = Lq + R;
    const int q0 = qt * R;
    if constexpr (AREG) wg_score_pair_regs<HD, SW>(sT, dpT, ka, va, Qs, dOs);
    else wg_score_pair<HD, WGS, SW>(sT, dpT, Ks, Vs, Qs, dOs, a_off);
    if constexpr (PIPE) {
      wg_wait<1>();  // Sᵀ (dPᵀ runs on); also the previous tile's dV, dK, the last readers of its stage
      wg_fence_acc(sT);
      wg_fence_a(pa);
      wg_fence_a(sa);
      if constexpr (MB) {
        // this thread's products on tile j − 1 completed (its copies go out at the end of the
        // iteration, where fewer registers are live: here they spilled at head_dim 128)
        if (qt > qt0) mbar_arrive(empty + 8 * wg_stage<NS>(qt - qt0 - 1));
      } else if constexpr (!DQ) {  // (DQ: after the dS barrier below, which every warp also reaches past this wait)
        __syncthreads();  // ... for every warp
        if (qt + AHEAD < nq) wg_stage_qdo<HD, NT, SW>(QD, LD, wg_stage<W::STAGES>(st + AHEAD), in, ld, d, qt + AHEAD, Tn);
      }
    } else {
      wg_wait<0>();
      wg_fence_acc(sT);
      wg_fence_acc(dpT);
    }
    const bool need_mask = q0 < wk0 + 15 || q0 + R > Tn || wk0 + 16 > Tn;
#pragma unroll
    for (int n = 0; n < 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int qc = n * 8 + 2 * t + (e & 1);
        const int i = q0 + qc, j = key[e >> 1];
        const bool valid = !need_mask || (i >= j && i < Tn && j < Tn);
        sT[n][e] = valid ? exp2f(sT[n][e] * scale_log2 - __fmul_rn(Lq[qc], LOG2E)) : 0.f;
      }
    wg_issue_rs<HD, SW>(dv, pa, sT, dOs);
    if constexpr (PIPE) {
      wg_wait<1>();  // dPᵀ (dV runs on)
      wg_fence_acc(dpT);
      if constexpr (AREG) {
        wg_fence_a(ka);
        wg_fence_a(va);
      }
    }
#pragma unroll
    for (int n = 0; n < 8; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) dpT[n][e] = sT[n][e] * (dpT[n][e] - Dq[n * 8 + 2 * t + (e & 1)]);
    if constexpr (DQ) {
#pragma unroll
      for (int j = 0; j < 4; j++) a_from_c(sa[j], dpT, j);
      wg_store_ds<SW>(DS, sa, wg, warp, g, t);
      wg_fence_smem();  // the stores (generic proxy) → visible to dQ's products (async proxy) ...
      __syncthreads();  // ... once every warpgroup's are done
      // every warp is past this tile's first wait, so the previous tile's dK, dV completed: its stage
      // may be refilled (one barrier fewer per tile than the split kernel's schedule; the copies
      // still have the rest of this tile and all of the next to land)
      if (qt + AHEAD < nq) wg_stage_qdo<HD, NT, SW>(QD, LD, wg_stage<W::STAGES>(st + AHEAD), in, ld, d, qt + AHEAD, Tn);
      constexpr int NQ = HD / 2;  // dQ's columns per warpgroup
      // where this warpgroup's columns start in a K tile read MN-major, in 16-byte units: 8 columns
      // per 128 bytes without swizzle; with it (head_dim 128), the next atom column
      const uint32_t nq_off = SW ? wg * (WG_SW_ATOM_COL >> 4) : wg * NQ;
      float dq[NQ / 8][4];
      wg_fence_regs();
#pragma unroll
      for (int kk = 0; kk < 8; kk++)  // 16 keys per step: warpgroup kk / 4's K tile, its rows 16·(kk % 4) …
        wg_ss<NQ, true>(dq, wg_desc_k<SW, 128>(DS, kk), wg_desc_at(wg_desc_rows<HD, SW>(Ks + (kk / 4) * W::TILE, kk % 4), nq_off),
                     kk > 0);
      wg_commit();
      wg_issue_rs_regs<HD, SW>(dk, sa, Qs);
      wg_wait<1>();  // dV and dQ (dK runs on)
      wg_fence_acc(dq);
      wg_fence_a(pa);
#pragma unroll
      for (int r = 0; r < 2; r++) {
        const int q = q0 + warp * 16 + g + 8 * r;
        if (q >= Tn) continue;
        // (computed here, not held across the loop: one 64-bit pointer fewer at the loop's peak)
        float* row = dq_acc + ((size_t)b * Tn + q) * d + (size_t)h * HD + wg * NQ + 2 * t;
#pragma unroll
        for (int n = 0; n < NQ / 8; n++) red_add2(row + n * 8, dq[n][2 * r], dq[n][2 * r + 1]);
      }
    } else {
      wg_issue_rs<HD, SW>(dk, sa, dpT, Qs);
    }
    if constexpr (MB) {  // tile qt + 2 into the stage of tile qt − 2, once every thread is done with it
      const int j = qt - qt0 + AHEAD;
      if (qt + AHEAD < nq) {
        wg_stage_free<NS>(empty, j);
        stage_qdo_mb(wg_stage<NS>(j), qt + AHEAD);
      }
    }
    if constexpr (!PIPE) {
      wg_wait<0>();
      wg_fence_a(pa);
      wg_fence_a(sa);
      __syncthreads();  // before the next iteration's copies overwrite this stage
    }
  }
  wg_wait<0>();
  wg_fence_a(pa);
  wg_fence_a(sa);
  wg_fence_acc(dk);
  wg_fence_acc(dv);
  if constexpr (AREG) {
    wg_fence_a(ka);
    wg_fence_a(va);
  }
  bf16* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
#pragma unroll
  for (int r = 0; r < 2; r++) {
    const int j = key[r];
    if (j >= Tn) continue;
    bf16* row = out + (size_t)j * ld;
#pragma unroll
    for (int n = 0; n < HD / 8; n++) {
      *reinterpret_cast<uint32_t*>(row + d + n * 8 + 2 * t) = pack2(dk[n][2 * r] * scale, dk[n][2 * r + 1] * scale);
      *reinterpret_cast<uint32_t*>(row + 2 * d + n * 8 + 2 * t) = pack2(dv[n][2 * r], dv[n][2 * r + 1]);
    }
  }
}

template <int HD, bool PIPE, int WGS, bool SW = false, bool DQ = false, bool AREG = false, bool MB = false>
__global__ void __launch_bounds__(128 * WGS)
    attn3_bwd_dkv_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy, const float* lse, const float* D, int Tn, int H,
                         float scale, float scale_log2, float* dq_acc = nullptr) {
  attn3_bwd_dkv<HD, PIPE, WGS, SW, DQ, AREG, MB>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale_log2, dq_acc, nullptr, nullptr);
}
// LOCO_CUDA_ATTN_BWD=wgmma2-tma: qkv and dy read through their maps only
template <int HD>
__global__ void __launch_bounds__(256)
    attn3_bwd_dkv_tma_kernel(bf16* dqkv, const __grid_constant__ TmaMap qkv_map, const __grid_constant__ TmaMap dy_map,
                             const float* lse, const float* D, int Tn, int H, float scale, float scale_log2) {
  attn3_bwd_dkv<HD, true, 2, true, false, false, true, true>(dqkv, nullptr, nullptr, lse, D, Tn, H, scale, scale_log2, nullptr,
                                                             &qkv_map, &dy_map);
}

// wg_stage_kv: key tile kt's K and V into stage st of a K/V double buffer, one cp.async group (qh:
// the head's q columns in qkv; k at + d, v at + 2d)
// (KN = 128: the forward's 128-key tiles, LOCO_CUDA_ATTN_FWD=wgmma2-k128, each two 64-row tiles, or
// with SW 128-row atom columns)
template <int HD, int NT, bool SW = false, int KN = 64, bool ROLLED = false>
__device__ __forceinline__ void wg_stage_kv(unsigned char* KV, int st, const bf16* qh, size_t ld, int d, int kt, int Tn) {
  constexpr size_t KT = (size_t)KN * HD * 2;  // bytes of a K or V tile
  unsigned char* k = KV + st * 2 * KT;
  wg_cp_tile<HD, NT, KN, SW, KN, ROLLED>(k, qh + d, ld, kt * KN, Tn);
  wg_cp_tile<HD, NT, KN, SW, KN, ROLLED>(k + KT, qh + 2 * d, ld, kt * KN, Tn);
  cp_async_commit();
}
// dQ for a block of 64 queries on warpgroup MMA, streaming 64-key tiles up to the diagonal:
// S = Q·Kᵀ and dP = dO·Vᵀ as m64n64k16 (all four K-major), dS as attn2_bwd_dq_kernel computes it,
// dQ += dS·K as m64nHDk16 with dS from registers and K read MN-major. PIPE as in the dK/dV kernel:
// the exponentials run while dP is computed, dQ's products while the next tile is awaited and its
// scores issued.
// WGS > 1: warpgroup w holds queries q0 + 64w … of the block's 64·WGS; a key tile after its last
// query is skipped (it would add exact zeros).
// TMA (LOCO_CUDA_ATTN_BWD=wgmma2-tma; attn3_bwd_dq_tma_kernel): MB with every tile a TMA copy issued
// by thread 0 once its stage is free; full[st] has one arrival, thread 0's byte count.
template <int HD, bool PIPE, int WGS, bool SW = false, bool AREG = false, bool MB = false, bool TMA = false>
__device__ __forceinline__ void attn3_bwd_dq(bf16* dqkv, const bf16* qkv, const bf16* dy, const float* lse, const float* D, int Tn,
                                             int H, float scale, float scale_log2, const TmaMap* qkv_map, const TmaMap* dy_map) {
  static_assert(!AREG || (PIPE && WGS == 2 && HD == 64), "Q and dO in registers: head_dim 64, two warpgroups, overlapped");
  static_assert(!MB || (PIPE && WGS == 2), "stages by mbarrier: two warpgroups, overlapped");
  static_assert(!TMA || (MB && SW && !AREG), "TMA: the swizzled kernel with mbarrier stages");
  using W = WgShape<HD, WGS>;
  constexpr int R = W::ROWS, NT = W::NT;
  constexpr int NS = MB ? W::MB_STAGES : W::STAGES;  // stages of K, V
  extern __shared__ __align__(16) unsigned char smraw[];
  unsigned char* Qs = smraw;  // warpgroup w's queries at Qs + w·TILE (and dOs + w·TILE)
  if constexpr (SW) Qs += (1024 - (wg_smem_offset(smraw) & 1023)) & 1023;
  unsigned char* dOs = Qs + WGS * W::TILE;
  unsigned char* KV = dOs + WGS * W::TILE;  // stage st: K at KV + st·2·TILE, V TILE further
  // MB: full[st] and empty[st] as in the dK/dV kernel
  const uint32_t full = wg_smem_offset(KV + 2 * NS * W::TILE), empty = full + 8 * NS;  // [st] at + 8·st
  if constexpr (MB) {
    if (threadIdx.x == 0)
      for (int i = 0; i < 2 * NS; i++) mbar_init(full + 8 * i, TMA && i < NS ? 1 : NT);
    __syncthreads();
  }
  const int qb = gridDim.x - 1 - blockIdx.x;  // the latest queries (the most keys) first
  const int bh = blockIdx.y, b = bh / H, h = bh % H, d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const HeadIn in = head_in<HD>(qkv, dy, lse, D, bh, Tn, H);
  const int wg = wg_index<WGS>(), warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int q0 = qb * R * WGS, qlast = (q0 + R * WGS < Tn ? q0 + R * WGS : Tn) - 1, nkt = qlast / R + 1;
  // this warpgroup's queries and how many key tiles they see
  const int wq = q0 + wg * R, wkt = wq < Tn ? ((wq + R < Tn ? wq + R : Tn) - 1) / R + 1 : 0;
  // key tile kt's K and V into stage st, one cp.async group; with MB, arriving on full[st] once
  // landed. TMA: boxes by thread 0 (the only thread that calls it), `extra` more bytes on the phase
  // (stage 0's: Q's and dO's, issued after it).
  auto stage_kv_mb = [&](int st, int kt, uint32_t extra) {
    if constexpr (TMA) {
      const uint32_t kv = wg_smem_offset(KV + st * 2 * W::TILE), bar = full + 8 * st;
      mbar_arrive_expect_tx(bar, 2 * W::TILE + extra);
      tma_tiles<HD, R>(kv, qkv_map, d + h * HD, kt * R, b, bar);
      tma_tiles<HD, R>(kv + W::TILE, qkv_map, 2 * d + h * HD, kt * R, b, bar);
    } else {
      wg_stage_kv<HD, NT, SW>(KV, st, in.qkv, ld, d, kt, Tn);
      if constexpr (MB) cp_async_mbar_arrive(full + 8 * st);
    }
  };
  constexpr int AHEAD = MB ? 2 : W::STAGES - 1;  // as in the dK/dV kernel
  if constexpr (TMA) {
    if (threadIdx.x == 0) {
      tma_prefetch_map(qkv_map);
      tma_prefetch_map(dy_map);
      stage_kv_mb(0, 0, 2 * WGS * W::TILE);
      tma_tiles<HD, R * WGS>(wg_smem_offset(Qs), qkv_map, h * HD, q0, b, full);
      tma_tiles<HD, R * WGS>(wg_smem_offset(dOs), dy_map, h * HD, q0, b, full);
      if (1 < nkt) stage_kv_mb(1, 1, 0);
    }
  } else {
    wg_cp_tile<HD, NT, R * WGS, SW>(Qs, in.qkv, ld, q0, Tn);
    wg_cp_tile<HD, NT, R * WGS, SW>(dOs, in.dy, d, q0, Tn);
    stage_kv_mb(0, 0, 0);  // (one group with Q and dO)
    if (PIPE && AHEAD > 1 && 1 < nkt) stage_kv_mb(1, 1, 0);
  }
  const uint32_t a_off = wg_tile_off<HD>(wg);  // this warpgroup's Q, dO tiles (the scores' A)
  const int wq0 = wq + warp * 16, qi[2] = {wq0 + g, wq0 + g + 8};
  float l2[2], dd[2];
#pragma unroll
  for (int r = 0; r < 2; r++) {
    l2[r] = qi[r] < Tn ? in.lse[qi[r]] * LOG2E : 0.f;
    dd[r] = qi[r] < Tn ? in.D[qi[r]] : 0.f;
  }
  float dq[HD / 8][4];
  wg_zero(dq);
  float s[8][4], dp[8][4];  // S, dP; then P, dS in s
  uint32_t sa[4][4] = {};  // dS as A fragments: with PIPE, read by products that complete in the next iteration
  // AREG: this warp's queries of Q and dO as A fragments, for every key tile's S and dP
  uint32_t qa[AREG ? HD / 16 : 1][4], oa[AREG ? HD / 16 : 1][4];
  if constexpr (AREG) {
    if constexpr (MB) wg_stage_landed<NS>(full, 0);
    else wg_tile_ready(AHEAD > 1 && 1 < nkt);
    wg_load_a<SW, HD>(qa, Qs + wg * W::TILE, warp, g, t);
    wg_load_a<SW, HD>(oa, dOs + wg * W::TILE, warp, g, t);
  }
  for (int kt = 0; kt < nkt; kt++) {
    const int st = wg_stage<NS>(kt);
    if (!PIPE && kt + 1 < nkt) wg_stage_kv<HD, NT, SW>(KV, st ^ 1, in.qkv, ld, d, kt + 1, Tn);
    if constexpr (MB) wg_stage_landed<NS>(full, kt);
    else wg_tile_ready(PIPE ? AHEAD > 1 && kt + 1 < nkt : kt + 1 < nkt);
    const unsigned char* Ks = KV + st * 2 * W::TILE;
    const unsigned char* Vs = Ks + W::TILE;
    const int k0 = kt * R;
    const bool mine = WGS == 1 || kt < wkt;
    if (mine) {
      if constexpr (AREG) wg_score_pair_regs<HD, SW>(s, dp, qa, oa, Ks, Vs);
      else wg_score_pair<HD, WGS, SW>(s, dp, Qs, dOs, Ks, Vs, a_off);
    }
    if constexpr (PIPE) {
      // S (dP runs on); also the previous tile's dQ products, the last readers of its stage
      if (mine) wg_wait<1>();
      else wg_wait<0>();
      wg_fence_acc(s);
      wg_fence_a(sa);
      if constexpr (MB) {
        if (kt >= 1) mbar_arrive(empty + 8 * wg_stage<NS>(kt - 1));  // this thread's products on tile kt − 1 completed
        if (kt + AHEAD < nkt) {
          if (!TMA || threadIdx.x == 0) {  // (TMA: thread 0 alone waits for the stage and fills it)
            wg_stage_free<NS>(empty, kt + AHEAD);
            stage_kv_mb(wg_stage<NS>(kt + AHEAD), kt + AHEAD, 0);
          }
        }
      } else {
        __syncthreads();  // ... for every warp
        if (kt + AHEAD < nkt) wg_stage_kv<HD, NT, SW>(KV, wg_stage<W::STAGES>(st + AHEAD), in.qkv, ld, d, kt + AHEAD, Tn);
      }
    } else {
      wg_wait<0>();
      wg_fence_acc(s);
    }
    if (mine) {
      const bool need_mask = k0 + R - 1 > wq0 || k0 + R > Tn || wq0 + 16 > Tn;
#pragma unroll
      for (int n = 0; n < 8; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
          const int r = e >> 1;
          const int j = k0 + n * 8 + 2 * t + (e & 1);
          const bool valid = !need_mask || (j <= qi[r] && j < Tn && qi[r] < Tn);
          s[n][e] = valid ? exp2f(s[n][e] * scale_log2 - l2[r]) : 0.f;
        }
      if constexpr (PIPE) wg_wait<0>();  // dP
      wg_fence_acc(dp);
      if constexpr (AREG) {
        wg_fence_a(qa);
        wg_fence_a(oa);
      }
#pragma unroll
      for (int n = 0; n < 8; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) s[n][e] = s[n][e] * (dp[n][e] - dd[e >> 1]);
      wg_issue_rs<HD, SW>(dq, sa, s, Ks);
    }
    if constexpr (!PIPE) {
      wg_wait<0>();
      wg_fence_a(sa);
      __syncthreads();  // before the next iteration's copies overwrite this stage
    }
  }
  wg_wait<0>();
  wg_fence_a(sa);
  wg_fence_acc(dq);
  if constexpr (AREG) {
    wg_fence_a(qa);
    wg_fence_a(oa);
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

template <int HD, bool PIPE, int WGS, bool SW = false, bool AREG = false, bool MB = false>
__global__ void __launch_bounds__(128 * WGS) attn3_bwd_dq_kernel(bf16* dqkv, const bf16* qkv, const bf16* dy, const float* lse,
                                                                 const float* D, int Tn, int H, float scale, float scale_log2) {
  attn3_bwd_dq<HD, PIPE, WGS, SW, AREG, MB>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale_log2, nullptr, nullptr);
}
// LOCO_CUDA_ATTN_BWD=wgmma2-tma: qkv and dy read through their maps only
template <int HD>
__global__ void __launch_bounds__(256)
    attn3_bwd_dq_tma_kernel(bf16* dqkv, const __grid_constant__ TmaMap qkv_map, const __grid_constant__ TmaMap dy_map,
                            const float* lse, const float* D, int Tn, int H, float scale, float scale_log2) {
  attn3_bwd_dq<HD, true, 2, true, false, true, true>(dqkv, nullptr, nullptr, lse, D, Tn, H, scale, scale_log2, &qkv_map, &dy_map);
}

// The forward on warpgroup MMA (LOCO_CUDA_ATTN_FWD=wgmma, wgmma2, wgmma-sync; opt-in; right on an H200
// in h200-7, and 1.4-1.55x the tc2 forward's time there): a block of 64 queries (one warpgroup, 16
// rows per warp) streams 64-key tiles up to the diagonal; S = Q·Kᵀ as m64n64k16 (both K-major), the
// online softmax exactly as attn2_fwd_kernel's, O += P·V as m64nHDk16 with P from registers and V
// read MN-major. The same tiles, sums and order as attn2_fwd_kernel with 16 rows per warp, so the same
// bits in the emulator. A warp whose rows see no key of a tile still takes part (wgmma is
// warpgroup-wide): every score is masked, its p are 0, and m, l, o stay as they were, bit for bit.
// WGS > 1: warpgroup w holds queries q0 + 64w … of the block's 64·WGS (K and V copied once for all);
// a key tile after its last query is skipped (m, l, o would stay as they are).
// Two schedules of the same sums (PIPE):
// - PIPE = false (wgmma-sync): each tile's scores are issued and waited for together with the previous
//   tile's P·V; then the softmax, with the tensor cores idle; two K/V stages, the next tile's copies
//   started once P·V freed their stage.
// - PIPE = true (wgmma, wgmma2; FA3's overlap within a warpgroup): tile kt's P goes to registers, the
//   next tile's scores are issued, then tile kt's P·V; the next tile's softmax runs while P·V does,
//   and o is rescaled once P·V completed (o·corr after the sum it scaled before: the same operations
//   on o in the same order). Three K/V stages and one block barrier per tile: at the top of
//   iteration kt, once tile kt + 1 landed and every warp is past iteration kt − 1 (the barrier),
//   tile kt + 2's copies start into the stage of tile kt − 1, whose P·V completed there, and have a
//   whole iteration to land.
// SW (LOCO_CUDA_ATTN_FWD=wgmma-sw, wgmma2-sw; the overlapped schedule): the tiles in the 128-byte
// swizzle (above), from the first 1024-byte boundary of the block's shared memory (1 KB more is asked
// for). (The same two lines open each SW kernel: a helper returning that pointer made ptxas spill 32
// bytes in the head_dim-128 swizzled dK/dV kernel.)
// KN = 128 (LOCO_CUDA_ATTN_FWD=wgmma2-k128, and wgmma2-k128-sw with SW, whose K and V tiles then have
// 128-row atom columns; the overlapped schedule; written 2026-11-27, checked by attention-tc-emu, not
// yet run on a GPU): 128-key tiles, as FlashAttention-3
// takes at head_dim 128 with a causal mask — the scores as m64n128k16, P·V over 128 keys, half the
// barriers, softmax reductions and tile waits per key, and each score product reading 2 KB of Q for
// 4 KB of K instead of 2 for 2. Its sums differ from the 64-key kernels' (a rescale per 128 keys).
// TMA (LOCO_CUDA_ATTN_FWD=wgmma2-tma; attn3_fwd_tma_kernel, which takes the map in place of qkv):
// wgmma2-ws-sw with every copy a TMA box issued by one thread of the producer warpgroup (above,
// tma_load_3d): no address arithmetic or zero-fill tests per 16 bytes; at head_dim 128, 4 copy
// instructions per key tile (and 4 for Q) where 128 threads issued 16 cp.async each per tile.
template <int HD, int WGS, bool PIPE, bool SW = false, int KN = 64, bool AREG = false, bool MB = false, bool WS = false,
          bool TMA = false>
__device__ __forceinline__ void attn3_fwd(bf16* y, float* lse, const bf16* qkv, int Tn, int H, float scale_log2,
                                          const TmaMap* map) {
  static_assert(KN == 64 || (KN == 128 && PIPE), "128-key tiles: the overlapped schedule");
  static_assert(!AREG || PIPE, "Q in registers: the overlapped schedule");
  static_assert(!MB || (PIPE && WGS == 2), "mbarrier stages and turns: two warpgroups, overlapped");
  static_assert(!WS || MB, "a producer warpgroup: with mbarrier stages");
  static_assert(!TMA || (WS && SW && !AREG), "TMA: the producer warpgroup's copies, swizzled tiles");
  static_assert(!MB || KN == 64 || TMA, "128-key tiles by mbarrier: with the TMA producer (three stages, empty barriers)");
  using W = WgShape<HD, WGS>;
  constexpr int R = W::ROWS, NT = W::NT;
  constexpr size_t KT = (size_t)KN * HD * 2;  // bytes of a K or V tile
  extern __shared__ __align__(16) unsigned char smraw[];
  unsigned char* Qs = smraw;  // warpgroup w's queries at Qs + w·TILE
  if constexpr (SW) Qs += (1024 - (wg_smem_offset(smraw) & 1023)) & 1023;
  unsigned char* KV = Qs + WGS * W::TILE;  // stage st: K at KV + st·2·KT, V KT further
  const int qb = gridDim.x - 1 - blockIdx.x;  // the longest (latest) query blocks first
  const int bh = blockIdx.y, b = bh / H, h = bh % H, d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const bf16* qh = TMA ? nullptr : qkv + (size_t)b * Tn * ld + (size_t)h * HD;  // (TMA: qkv is null)
  // WS: warpgroup 0 the producer, 1 and 2 the consumers (this kernel's warpgroups 0 and 1)
  // (unsigned, as threadIdx.x: signed divisions and remainders would cost instructions and registers)
  const unsigned tid = WS ? threadIdx.x - 128 : threadIdx.x;
  const int wg = WGS == 1 ? 0 : (int)tid / 128, warp = (int)((tid / 32) % 4), lane = (int)(tid % 32), g = lane >> 2,
            t = lane & 3;  // (wg as wg_index computes it, the others as the kernels always have)
  const int q0 = qb * R * WGS, qlast = (q0 + R * WGS < Tn ? q0 + R * WGS : Tn) - 1, nkt = qlast / KN + 1;
  const int wq = q0 + wg * R, wkt = wq < Tn ? ((wq + R < Tn ? wq + R : Tn) - 1) / KN + 1 : 0;
  // the overlapped schedule's K/V stages: 3, or with MB 4 (tile kt + 2's copies go into the stage of
  // tile kt − 2). MB: after the stages, full[st], NT arrivals: its tile landed, every thread's copies.
  // No "empty" barrier is needed: a thread issues tile kt + 2's copies after the wait for tile
  // kt + 1's full phase, which completes only once every thread issued tile kt + 1's copies at the
  // top of its iteration kt − 1 — after its iteration kt − 2, whose last wait completed the products
  // that read tile kt − 2's stage. (With three stages that stage would be tile kt − 1's, which the
  // other warpgroup may still be reading.) With a producer (WS) the empty barriers guard every
  // refill, so 128-key tiles (wgmma2-tma-k128) take three stages: 224 KB at head_dim 128.
  constexpr int NS = MB && KN == 64 ? 4 : 3;
  const uint32_t full = wg_smem_offset(KV + NS * 2 * KT);  // full[st] at full + 8·st
  // WS (LOCO_CUDA_ATTN_FWD=wgmma2-ws): a third warpgroup, the producer, issues every copy: Q and each
  // K/V tile into its stage once empty[st] (256 arrivals: every consumer thread done with the
  // stage's last tile) completed, then arrives on full[st] (its 128 threads); the consumers only
  // wait, compute, and arrive on empty. The producer gives its registers up (40), the consumers take
  // them (232), as FlashAttention-3 does.
  // TMA: full[st] has one arrival, the issuing thread's, and the bytes it announces.
  const uint32_t empty = full + 8 * NS;
  if constexpr (MB) {
    if (threadIdx.x == 0) {
      for (int i = 0; i < NS; i++) mbar_init(full + 8 * i, TMA ? 1 : WS ? 128 : NT);
      if constexpr (WS)
        for (int i = 0; i < NS; i++) mbar_init(empty + 8 * i, NT);
    }
    __syncthreads();
  }
  if constexpr (WS) {
    if (threadIdx.x < 128) {
      setmaxnreg_dec<TMA ? 32 : 40>();
      if constexpr (TMA) {
        // thread 0 issues tile j's K and V boxes (with tile 0, Q's) once its stage is free; the others
        // have nothing to do
        if (threadIdx.x == 0) {
          tma_prefetch_map(map);
          const uint32_t q_at = wg_smem_offset(Qs), kv_at = wg_smem_offset(KV);
          for (int j = 0; j < nkt; j++) {
            const int st = wg_stage<NS>(j);
            wg_stage_free<NS>(empty, j);
            const uint32_t fb = full + 8 * st;
            // (a warpgroup whose queries all lie past the end gets no Q: it never reads it)
            const int qw = j == 0 ? (Tn - q0 + R - 1) / R : 0, nqw = qw < WGS ? qw : WGS;
            mbar_arrive_expect_tx(fb, (uint32_t)(2 * KT + nqw * W::TILE));
            for (int w = 0; w < nqw; w++) tma_tiles<HD, R>(q_at + w * W::TILE, map, h * HD, q0 + R * w, b, fb);
            // (KN = 128: 128-row atom columns, as wg_stage_kv's)
            const uint32_t k_at = kv_at + (uint32_t)(st * 2 * KT);
            tma_tiles<HD, KN, KN>(k_at, map, d + h * HD, j * KN, b, fb);
            tma_tiles<HD, KN, KN>(k_at + (uint32_t)KT, map, 2 * d + h * HD, j * KN, b, fb);
          }
        }
      } else {
        for (int j = 0; j < nkt; j++) {
          const int st = wg_stage<NS>(j);
          wg_stage_free<NS>(empty, j);
          if (j == 0) wg_cp_tile<HD, 128, R * WGS, SW, 64, true>(Qs, qh, ld, q0, Tn);
          wg_stage_kv<HD, 128, SW, KN, true>(KV, st, qh, ld, d, j, Tn);
          cp_async_mbar_arrive(full + 8 * st);
        }
        cp_async_wait<0>();
      }
      return;
    }
    setmaxnreg_inc<TMA ? 240 : 232>();
  } else {
    wg_cp_tile<HD, NT, R * WGS, SW>(Qs, qh, ld, q0, Tn);
    wg_stage_kv<HD, NT, SW, KN>(KV, 0, qh, ld, d, 0, Tn);  // (one group with Q)
    if constexpr (MB) cp_async_mbar_arrive(full);
  }
  const uint32_t a_off = wg_tile_off<HD>(wg);  // this warpgroup's Q tile (the scores' A)
  const int wq0 = wq + warp * 16, qi[2] = {wq0 + g, wq0 + g + 8};
  float o[HD / 8][4], m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  wg_zero(o);
  float s[KN / 8][4];
  uint32_t pa[KN / 16][4] = {};  // P as A fragments, read by products that complete in the next iteration
  uint32_t qa[AREG ? HD / 16 : 1][4];  // AREG: this warp's Q rows as A fragments, for every tile's scores
  // the scores of the K tile at Ks, from Q in shared memory or (AREG) in registers
  auto scores = [&](const unsigned char* Ks) {
    if constexpr (AREG) wg_scores_regs<HD, SW>(s, qa, Ks);
    else wg_scores<HD, WGS, SW>(s, Qs, Ks, a_off);
  };
  auto masked = [&](int k0) { return k0 + KN - 1 > wq0 || k0 + KN > Tn; };
  if constexpr (!PIPE) {
    for (int kt = 0; kt < nkt; kt++) {
      const int st = kt & 1;
      wg_tile_ready(false);
      const unsigned char* Ks = KV + st * 2 * W::TILE;
      const unsigned char* Vs = Ks + W::TILE;
      const int k0 = kt * R;
      const bool mine = WGS == 1 || kt < wkt;
      if (mine) wg_scores<HD, WGS, SW>(s, Qs, Ks, a_off);
      wg_wait<0>();  // S; also the previous tile's P·V, the last reader of stage st ^ 1
      wg_fence_acc(s);
      wg_fence_acc(o);
      wg_fence_a(pa);
      __syncthreads();  // ... for every warp
      if (kt + 1 < nkt) wg_stage_kv<HD, NT, SW>(KV, st ^ 1, qh, ld, d, kt + 1, Tn);
      if (mine) {
        online_softmax_tile<R, HD>(s, m, l, o, k0, qi, Tn, t, scale_log2, masked(k0));
        wg_issue_rs<HD, SW>(o, pa, s, Vs);
      }
    }
  } else {
    if (!WS && nkt > 1) {
      wg_stage_kv<HD, NT, SW, KN>(KV, 1, qh, ld, d, 1, Tn);
      if constexpr (MB) cp_async_mbar_arrive(full + 8);
    }
    // tile 0: scores and softmax (o is zero: its rescale changes nothing)
    if constexpr (MB) wg_stage_landed<NS>(full, 0);
    else wg_tile_ready(nkt > 1);
    if constexpr (AREG) wg_load_a<SW, HD>(qa, Qs + wg * W::TILE, warp, g, t);
    if (wkt > 0) {
      scores(KV);
      wg_wait<0>();
      wg_fence_acc(s);
      if constexpr (AREG) wg_fence_a(qa);
      float corr[2];
      online_softmax_p<KN>(s, m, l, corr, 0, qi, Tn, t, scale_log2, masked(0));
      rescale_rows<HD>(o, corr);
    }
    // MB: the warpgroups issue their products in turns, 0, 1, 0, 1, … one turn each per iteration
    // (named barrier 1 + w: warpgroup w's turn), so that one's softmax runs while the other's
    // products do (FlashAttention-3's ping-pong); warpgroup 1 opens the first turn for 0, and does not
    // hand on its last (every bar.sync then meets exactly its 128 arrivals)
    if constexpr (MB)
      if (wg == 1) named_barrier<NT, false>(1);
    auto turn_begin = [&]() {
      if constexpr (MB) named_barrier<NT, true>(1 + wg);
    };
    auto turn_end = [&](int kt) {
      if constexpr (MB)
        if (wg == 0 || kt + 1 < nkt) named_barrier<NT, false>(2 - wg);
    };
    for (int kt = 0; kt < nkt; kt++) {
      const bool next = kt + 1 < nkt;
      // One barrier per tile: tile kt + 1 landed, and every warp is past iteration kt − 1, whose P·V
      // was the last reader of the stage tile kt + 2 then goes into. (Until the second session after
      // h200-7 a second barrier ended each iteration, and the copies went out before this one: the
      // same distance ahead.) MB: no block barrier; tile kt + 1's full phase, which also frees the
      // stage of tile kt − 2 that tile kt + 2 goes into (above: so this wait comes first).
      if (next) {
        if constexpr (MB) wg_stage_landed<NS>(full, kt + 1);
        else wg_tile_ready(false);
      }
      if (!WS && kt + 2 < nkt) {
        wg_stage_kv<HD, NT, SW, KN>(KV, wg_stage<NS>(kt + 2), qh, ld, d, kt + 2, Tn);
        if constexpr (MB) cp_async_mbar_arrive(full + 8 * wg_stage<NS>(kt + 2));
      }
      const unsigned char* Vs = KV + wg_stage<NS>(kt) * 2 * KT + KT;
      const unsigned char* Kn = KV + wg_stage<NS>(kt + 1) * 2 * KT;
      // a warpgroup's tiles are 0 … wkt − 1: mine_next implies mine. (Each case issues and waits in
      // one straight line: with the issue and its wait under separate tests of the same condition,
      // ptxas cannot tell the scores are complete where the softmax reads them, and serializes, C7514.)
      const bool mine = WGS == 1 || kt < wkt, mine_next = next && (WGS == 1 || kt + 1 < wkt);
      float corr[2] = {1.f, 1.f};
      if (mine_next) {
#pragma unroll
        for (int j = 0; j < KN / 16; j++) a_from_c(pa[j], s, j);  // P of tile kt; s is free for the next scores
        turn_begin();
        scores(Kn);
        wg_issue_rs_regs<HD, SW>(o, pa, Vs);
        turn_end(kt);
        wg_wait<1>();  // the next tile's scores (P·V runs on)
        wg_fence_acc(s);
        if constexpr (AREG) wg_fence_a(qa);
        online_softmax_p<KN>(s, m, l, corr, (kt + 1) * KN, qi, Tn, t, scale_log2, masked((kt + 1) * KN));
      } else if (mine) {  // this warpgroup's last tile
#pragma unroll
        for (int j = 0; j < KN / 16; j++) a_from_c(pa[j], s, j);
        turn_begin();
        wg_issue_rs_regs<HD, SW>(o, pa, Vs);
        turn_end(kt);
      } else {  // nothing to issue: an empty turn
        turn_begin();
        turn_end(kt);
      }
      wg_wait<0>();  // tile kt's P·V
      wg_fence_acc(o);
      wg_fence_a(pa);
      if constexpr (WS) mbar_arrive(empty + 8 * wg_stage<NS>(kt));  // this thread is done with tile kt's stage
      if (mine_next) rescale_rows<HD>(o, corr);
    }
  }
  wg_wait<0>();
  wg_fence_a(pa);
  wg_fence_acc(o);
  write_forward_rows<HD>(y, lse, o, m, l, qi, Tn, b, h, d, bh, t);
}
template <int HD, int WGS, bool PIPE, bool SW = false, int KN = 64, bool AREG = false, bool MB = false, bool WS = false>
// (WS: one block per SM declared, which tells ptxas the register count its setmaxnreg starts from)
__global__ void __launch_bounds__(128 * WGS + (WS ? 128 : 0), WS ? 1 : 0)
    attn3_fwd_kernel(bf16* y, float* lse, const bf16* qkv, int Tn, int H, float scale_log2) {
  attn3_fwd<HD, WGS, PIPE, SW, KN, AREG, MB, WS>(y, lse, qkv, Tn, H, scale_log2, nullptr);
}
// LOCO_CUDA_ATTN_FWD=wgmma2-tma (KN = 128: wgmma2-tma-k128): qkv read through the map only (its
// address is in the map)
template <int HD, int KN = 64>
__global__ void __launch_bounds__(384, 1)
    attn3_fwd_tma_kernel(bf16* y, float* lse, const __grid_constant__ TmaMap qkv_map, int Tn, int H, float scale_log2) {
  attn3_fwd<HD, 2, true, true, KN, false, true, true, true>(y, lse, nullptr, Tn, H, scale_log2, &qkv_map);
}

}  // namespace attn_tc2
