// build/wgmma-rate: how fast Hopper's warpgroup MMA runs on operand layouts the attention kernels
// use or could use, on this GPU. h200-7 found every wgmma forward 1.4-1.55x slower than the
// mma.sync one and its overlapped schedule no faster than the waiting one, so the products
// themselves may be slow: this times them alone, without copies, softmax or barriers.
//
// Each block is one warpgroup that issues `iters` batches of 8 products (K = 128, as the scores at
// head_dim 128), one commit and one wait per batch (as the kernels do), on operands that stay in
// shared memory; the grid is the SM count times `wg_per_sm`. Modes:
//   ss64    m64n64k16, A and B K-major from shared memory (the scores S = Q·Kᵀ)
//   ss128   m64n128k16, the same with 128 keys per tile (FA3's tile at head_dim 128)
//   rs64    m64n64k16, A from registers, B K-major (S with Q held in registers)
//   rs128mn m64n128k16, A from registers, B MN-major (P·V, dV, dK, dQ; no swizzle only)
//   fwd     the forward's products per 64-key tile at head_dim 128: S = Q·Kᵀ (8 × ss64), then P·V
//           (4 × m64n128k16, P from registers, V MN-major), each its own group, then one wait; with
//           the swizzle V too is read swizzled (LBO 8 KB, the next 64 columns)
//   fwdareg the same with Q held in registers (LOCO_CUDA_ATTN_FWD=wgmma2-areg): S as 8 × rs64
//   fwd128  the same per 128-key tile (LOCO_CUDA_ATTN_FWD=wgmma2-k128, -k128-sw): S as 8 × ss128,
//           P·V as 8 × m64n128k16 over the 128 keys; K and V 128-row tiles (with the swizzle,
//           128-row atom columns); 80 KB of operands, so 1 or 2 warpgroups per SM only
// each without swizzle (the kernels' layout: 8-row × 16-byte core matrices) and, for the K-major
// operands, with the 128-byte swizzle (8 rows × 128 bytes, 16-byte chunks XOR row % 8; descriptor
// layout type 1, SBO 1024 bytes, the start moved 32 bytes per 16 k) that CUTLASS and FA3 use.
// The operands' values do not matter for the time (they are small bf16 constants); only the
// addresses do, and every descriptor stays inside the block's 48 KB (80 KB for fwd128).
// Prints one JSON line: per mode, layout and warpgroups per SM, TFLOP/s (dense bf16, 2·64·N·16 per
// product). Exit 2 without a compute capability 9.0 GPU.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "cuda/attention_wg_kernels.cuh"  // the kernels' descriptors and instruction forms (attn_tc2::wg_*)
#include "cuda_tool_check.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr int NT = 128, KSTEPS = 8;
constexpr uint32_t CS = 128, RS = 2048;  // no swizzle: K-direction core-matrix stride, 8-row-group stride (K = 128)

enum Mode { SS64, SS128, RS64, RS128MN, FWD, FWD_AREG, FWD128 };
// shared memory per block: A (16 KB) and B (up to 32 KB); fwd128 A, K and V (16 + 32 + 32 KB); +1024
// for the 1024-byte alignment
template <Mode M>
__host__ __device__ constexpr int smem_of() {
  return (M == FWD128 ? 80 : 48) * 1024 + 1024;
}

// the K-major descriptor of rows [0, rows) at k = 16·kk, as the kernels build it (attn_tc2::wg_desc,
// wg_desc_sw); with the swizzle two 64-element atom columns rows × 128 bytes apart
__device__ __forceinline__ uint64_t desc_kmajor(const unsigned char* base, int rows, int kk, bool swz) {
  if (swz) return attn_tc2::wg_desc_sw(base + (kk / 4) * rows * 128 + (kk % 4) * 32, 16, 1024);
  return attn_tc2::wg_desc(base + kk * 2 * CS, CS, RS, true);
}

template <Mode M>
__host__ __device__ constexpr int n_of() {
  return M == SS64 || M == RS64 ? 64 : 128;
}
// products per batch and FLOP per batch
template <Mode M>
constexpr double flop_per_batch() {
  return M == FWD || M == FWD_AREG ? KSTEPS * 2.0 * 64 * 64 * 16 + 4 * 2.0 * 64 * 128 * 16
         : M == FWD128 ? 2 * KSTEPS * 2.0 * 64 * 128 * 16
                       : KSTEPS * 2.0 * 64 * n_of<M>() * 16;
}

template <Mode M, bool SWZ>
__global__ void __launch_bounds__(NT) rate_kernel(float* sink, int iters) {
  extern __shared__ unsigned char smem_raw[];
  unsigned char* sm = reinterpret_cast<unsigned char*>(((uintptr_t)smem_raw + 1023) & ~(uintptr_t)1023);
  unsigned char* A = sm;              // 64 rows × 128 k (16 KB)
  unsigned char* B = sm + 16 * 1024;  // up to 128 rows × 128 k (32 KB)
  uint16_t* w = reinterpret_cast<uint16_t*>(sm);
  for (int i = threadIdx.x; i < (smem_of<M>() - 1024) / 2; i += NT) w[i] = (uint16_t)(0x3C00 + (i & 15));  // bf16 ≈ 0.008
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  using namespace attn_tc2;
  constexpr int N = n_of<M>();
  float f[N / 8][4] = {};
  const uint32_t one = 0x3C003C00u;  // two bf16 ≈ 0.008
  const uint32_t a[4] = {one, one, one, one};
  if constexpr (M == FWD || M == FWD_AREG || M == FWD128) {  // f: O (64 × 128); fs: S (64 × KEYS); K at B (KEYS rows), V after it
    constexpr int KEYS = M == FWD128 ? 128 : 64;
    float fs[KEYS / 8][4] = {};
    const unsigned char* V = B + KEYS * 128 * 2;
    for (int it = 0; it < iters; it++) {
      wg_fence_regs();
#pragma unroll
      for (int kk = 0; kk < KSTEPS; kk++) {
        if constexpr (M == FWD_AREG) wg_rs<KEYS, false>(fs, a, desc_kmajor(B, KEYS, kk, SWZ), true);  // Q from registers
        else wg_ss<KEYS>(fs, desc_kmajor(A, 64, kk, SWZ), desc_kmajor(B, KEYS, kk, SWZ), true);
      }
      wg_commit();
#pragma unroll
      for (int j = 0; j < KEYS / 16; j++) wg_rs<128, true>(f, a, wg_desc_rows<128, SWZ, KEYS>(V, j), true);  // P·V, as the forward issues it
      wg_commit();
      wg_wait<0>();
    }
#pragma unroll
    for (int i = 0; i < KEYS / 8; i++)
#pragma unroll
      for (int e = 0; e < 4; e++) f[i][e] += fs[i][e];
  } else {
    for (int it = 0; it < iters; it++) {
      wg_fence_regs();
#pragma unroll
      for (int kk = 0; kk < KSTEPS; kk++) {
        if constexpr (M == SS64 || M == SS128) wg_ss<N>(f, desc_kmajor(A, 64, kk, SWZ), desc_kmajor(B, N, kk, SWZ), true);
        else if constexpr (M == RS64) wg_rs<64, false>(f, a, desc_kmajor(B, 64, kk, SWZ), true);
        else wg_rs<128, true>(f, a, wg_desc_rows<128, false>(B, kk), true);  // the kernels' P·V operand, 16 k at a time
      }
      wg_commit();
      wg_wait<0>();
    }
  }
  float s = 0.f;
#pragma unroll
  for (int i = 0; i < N / 8; i++)
#pragma unroll
    for (int e = 0; e < 4; e++) s += f[i][e];
  sink[blockIdx.x * NT + threadIdx.x] = s;
}

#define CHECK(x) TOOL_CUDA_CHECK("wgmma-rate", x)

template <Mode M, bool SWZ>
double tflops(int sms, int wg_per_sm, int iters, float* sink) {
  auto k = rate_kernel<M, SWZ>;
  constexpr int SMEM = smem_of<M>();
  CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM));
  const int grid = sms * wg_per_sm;
  k<<<grid, NT, SMEM>>>(sink, 4);  // warm-up (clocks, instruction cache)
  CHECK(cudaGetLastError());
  cudaEvent_t t0, t1;
  CHECK(cudaEventCreate(&t0));
  CHECK(cudaEventCreate(&t1));
  CHECK(cudaEventRecord(t0));
  k<<<grid, NT, SMEM>>>(sink, iters);
  CHECK(cudaEventRecord(t1));
  CHECK(cudaEventSynchronize(t1));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, t0, t1));
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  const double flop = (double)grid * iters * flop_per_batch<M>();
  return flop / (ms * 1e-3) / 1e12;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 4096;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    printf("{\"tool\":\"wgmma-rate\",\"ok\":false,\"error\":\"no CUDA device\"}\n");
    return 2;
  }
  cudaDeviceProp p{};
  CHECK(cudaGetDeviceProperties(&p, 0));
  if (p.major != 9) {
    printf("{\"tool\":\"wgmma-rate\",\"ok\":false,\"error\":\"wgmma needs compute capability 9.0, this GPU is %d.%d\"}\n", p.major, p.minor);
    return 2;
  }
  float* sink;
  CHECK(cudaMalloc(&sink, (size_t)p.multiProcessorCount * 4 * NT * sizeof(float)));
  std::string rows;
  auto add = [&](const char* mode, const char* layout, int wg, double t) {
    char buf[160];
    snprintf(buf, sizeof buf, "%s{\"mode\":\"%s\",\"layout\":\"%s\",\"wg_per_sm\":%d,\"tflops\":%.1f}", rows.empty() ? "" : ",", mode,
             layout, wg, t);
    rows += buf;
  };
  for (int wg : {1, 2, 4}) {
    add("ss64", "none", wg, tflops<SS64, false>(p.multiProcessorCount, wg, iters, sink));
    add("ss64", "sw128", wg, tflops<SS64, true>(p.multiProcessorCount, wg, iters, sink));
    add("ss128", "none", wg, tflops<SS128, false>(p.multiProcessorCount, wg, iters, sink));
    add("ss128", "sw128", wg, tflops<SS128, true>(p.multiProcessorCount, wg, iters, sink));
    add("rs64", "none", wg, tflops<RS64, false>(p.multiProcessorCount, wg, iters, sink));
    add("rs64", "sw128", wg, tflops<RS64, true>(p.multiProcessorCount, wg, iters, sink));
    add("rs128mn", "none", wg, tflops<RS128MN, false>(p.multiProcessorCount, wg, iters, sink));
    add("fwd", "none", wg, tflops<FWD, false>(p.multiProcessorCount, wg, iters, sink));
    add("fwd", "sw128", wg, tflops<FWD, true>(p.multiProcessorCount, wg, iters, sink));
    add("fwdareg", "none", wg, tflops<FWD_AREG, false>(p.multiProcessorCount, wg, iters, sink));
    add("fwdareg", "sw128", wg, tflops<FWD_AREG, true>(p.multiProcessorCount, wg, iters, sink));
    if (wg <= 2) {  // (80 KB per block: no more than 2 per SM)
      add("fwd128", "none", wg, tflops<FWD128, false>(p.multiProcessorCount, wg, iters, sink));
      add("fwd128", "sw128", wg, tflops<FWD128, true>(p.multiProcessorCount, wg, iters, sink));
    }
  }
  cudaFree(sink);
  printf("{\"tool\":\"wgmma-rate\",\"device_name\":\"%s\",\"sms\":%d,\"iters\":%d,\"rows\":[%s],\"ok\":true}\n", p.name,
         p.multiProcessorCount, iters, rows.c_str());
  return 0;
}
