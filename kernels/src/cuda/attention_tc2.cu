// Launchers of the tensor-core attention (attention_tc2_kernels.cuh; the bf16 default).
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>

#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

#include "attention.cuh"
#include "attention_tc2_kernels.cuh"
#include "attention_wg_kernels.cuh"
#include "common.cuh"

namespace {
using namespace attn_tc2;


// Which kernels run with 32 rows per warp (Wide<HD>: each B fragment read from shared memory feeds
// two 16-row m-tiles) instead of 16; the outputs are the same bits either way. The default per head
// size is what measured fastest kernel by kernel (H100, 2026-11-26, docs/benchmarks.md `h100-5`):
// at head_dim 128 (1b) the 32-row forward (10.81 → 10.06 ms per step) and dQ (19.13 → 16.46 ms);
// at head_dim 64 (gpt2-124m) 16 rows in all three (32 rows: 9.73 → 12.28 ms, fewer blocks per SM).
// Head dims 16 and 32 are unmeasured and keep 16 rows. LOCO_CUDA_ATTN_ROWS overrides: "32" all
// three kernels, "16" none, or a comma list of the kernels that get 32 rows (fwd, dkv, dq).
enum : unsigned { WIDE_FWD = 1, WIDE_DKV = 2, WIDE_DQ = 4, WIDE_ALL = 7 };
unsigned default_wide(int hd) { return hd == 128 ? WIDE_FWD | WIDE_DQ : 0u; }
unsigned parse_wide(const std::string& v) {
  if (v == "32") return WIDE_ALL;
  if (v == "16" || v.empty()) return 0;
  unsigned parts = 0;
  size_t at = 0;
  while (at <= v.size()) {
    const size_t end = std::min(v.find(',', at), v.size());
    const std::string part = v.substr(at, end - at);
    if (part == "fwd") parts |= WIDE_FWD;
    else if (part == "dkv") parts |= WIDE_DKV;
    else if (part == "dq") parts |= WIDE_DQ;
    else throw std::runtime_error("LOCO_CUDA_ATTN_ROWS=" + v + ": expected 16, 32 or a comma list of fwd, dkv, dq");
    at = end + 1;
  }
  return parts;
}
// -1: not set (the default per head size)
int wide_env() {
  static const int parts = [] {
    const char* e = getenv("LOCO_CUDA_ATTN_ROWS");
    return e ? (int)parse_wide(e) : -1;
  }();
  return parts;
}
unsigned wide_parts(int hd) { return wide_env() >= 0 ? (unsigned)wide_env() : default_wide(hd); }

// Each kernel is compiled twice, with and without the fused RoPE (cs, sn given or not), so the
// default (RoPE as a separate pass) carries none of the rotation code or its registers.
template <int HD, bool ROPE, int MT = 1, int TKN = TK>
void fwd_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, const float* cs, const float* sn) {
  constexpr size_t smem = fwd_smem<HD, MT, TKN>();
  set_dynamic_smem(attn2_fwd_kernel<HD, ROPE, MT, TKN>, smem);
  dim3 grid(cdiv(Tn, Shape<HD>::rows(MT)), B * H);
  attn2_fwd_kernel<HD, ROPE, MT, TKN>
      <<<grid, Shape<HD>::NT, smem, engine_stream()>>>(y, lse, qkv, Tn, H, LOG2E / sqrtf((float)HD), cs, sn);
  CUDA_LAUNCH_CHECK("attn2_fwd");
}
// LOCO_CUDA_ATTN_FWD=wgmma (opt-in; h200-7: right, and 1.4-1.5x slower than tc2 at head_dim 128): the forward on warpgroup MMA
// (attn3_fwd_kernel) at head_dim 64 and 128 without RoPE in the kernel, the softmax overlapped with
// the products; the same bits as the 16-row tc2 forward in the emulator. LOCO_CUDA_ATTN_FWD=wgmma2:
// two warpgroups (128 queries) per block sharing each K/V tile; wgmma-sync: one warpgroup, the
// softmax after the products (the same bits).
// The wgmma kernels a variable asks for (LOCO_CUDA_ATTN_FWD, LOCO_CUDA_ATTN_BWD): wgmma (overlapped),
// wgmma2 (overlapped, two warpgroups per block), wgmma-sync (waiting), or none. Asked for where they
// cannot run (not an sm_90a build on a 9.0 GPU): none, the tc2 kernels run, and stderr says so.
// Any other value is refused, except `others`: what another switch reads from the same variable
// (LOCO_CUDA_ATTN_BWD's fused, partials, atomic and tc2), so a misspelt setting cannot quietly
// measure the default kernels.
// `takes`: the kernels the variable can select (the swizzled backward exists with two warpgroups only).
// (WG_PIPE_SW, WG_PIPE2_SW: the tiles in the 128-byte swizzle, wgmma-sw and wgmma2-sw; WG_PIPE2_ATOMIC
// and _SW: the backward as one kernel with dQ by atomic adds, wgmma2-atomic and wgmma2-atomic-sw;
// WG_PIPE2_K128 and _SW: the forward on 128-key tiles, wgmma2-k128 and wgmma2-k128-sw; WG_PIPE2_AREG
// and _SW: the score-like products' A operand held in registers, wgmma2-areg and wgmma2-areg-sw;
// WG_PIPE2_ATOMIC_AREG: the one-kernel backward with K and V in registers, wgmma2-atomic-areg;
// WG_PIPE2_PP and _SW: the two-warpgroup forward with mbarrier stages and its products in turns,
// wgmma2-pp and wgmma2-pp-sw; WG_PIPE2_MB and _SW: the two-warpgroup backward with mbarrier stages,
// wgmma2-mb and wgmma2-mb-sw; WG_PIPE2_PP_AREG_SW: the forward with all three, mbarrier stages and
// turns, Q in registers, the 128-byte swizzle, wgmma2-pp-areg-sw; WG_PIPE2_WS and _SW: wgmma2-pp with
// a producer warpgroup issuing every copy, wgmma2-ws and wgmma2-ws-sw; WG_PIPE2_TMA: wgmma2-ws-sw with
// every copy a TMA box issued by one thread, wgmma2-tma (LOCO_CUDA_ATTN_BWD=wgmma2-tma: wgmma2-mb-sw
// with its tiles TMA boxes issued by thread 0); WG_PIPE2_TMA_K128: the forward on 128-key tiles,
// wgmma2-tma-k128.)
enum WgMode { WG_OFF, WG_SYNC, WG_PIPE, WG_PIPE2, WG_PIPE_SW, WG_PIPE2_SW, WG_PIPE2_ATOMIC, WG_PIPE2_ATOMIC_SW, WG_PIPE2_K128, WG_PIPE2_K128_SW,
              WG_PIPE2_AREG, WG_PIPE2_AREG_SW, WG_PIPE2_ATOMIC_AREG, WG_PIPE2_PP, WG_PIPE2_PP_SW,
              WG_PIPE2_MB, WG_PIPE2_MB_SW, WG_PIPE2_PP_AREG_SW, WG_PIPE2_WS, WG_PIPE2_WS_SW, WG_PIPE2_TMA, WG_PIPE2_TMA_K128 };
constexpr std::pair<const char*, WgMode> WG_NAMES[] = {
    {"wgmma", WG_PIPE}, {"wgmma2", WG_PIPE2}, {"wgmma-sync", WG_SYNC}, {"wgmma-sw", WG_PIPE_SW}, {"wgmma2-sw", WG_PIPE2_SW},
    {"wgmma2-atomic", WG_PIPE2_ATOMIC}, {"wgmma2-atomic-sw", WG_PIPE2_ATOMIC_SW}, {"wgmma2-k128", WG_PIPE2_K128},
    {"wgmma2-k128-sw", WG_PIPE2_K128_SW}, {"wgmma2-areg", WG_PIPE2_AREG}, {"wgmma2-areg-sw", WG_PIPE2_AREG_SW},
    {"wgmma2-atomic-areg", WG_PIPE2_ATOMIC_AREG}, {"wgmma2-pp", WG_PIPE2_PP}, {"wgmma2-pp-sw", WG_PIPE2_PP_SW},
    {"wgmma2-mb", WG_PIPE2_MB}, {"wgmma2-mb-sw", WG_PIPE2_MB_SW}, {"wgmma2-pp-areg-sw", WG_PIPE2_PP_AREG_SW},
    {"wgmma2-ws", WG_PIPE2_WS}, {"wgmma2-ws-sw", WG_PIPE2_WS_SW}, {"wgmma2-tma", WG_PIPE2_TMA},
    {"wgmma2-tma-k128", WG_PIPE2_TMA_K128}};
WgMode wgmma_env(const char* var, std::initializer_list<WgMode> takes, std::initializer_list<const char*> others = {}) {
  auto taken = [&](WgMode m) { return std::find(takes.begin(), takes.end(), m) != takes.end(); };
  WgMode want = WG_OFF;
  for (const auto& [name, mode] : WG_NAMES)
    if (taken(mode) && env_is(var, name)) want = mode;
  const char* v = getenv(var);
  if (want == WG_OFF && v && *v && std::none_of(others.begin(), others.end(), [&](const char* o) { return env_is(var, o); })) {
    std::string expected;
    for (const auto& [name, mode] : WG_NAMES)
      if (taken(mode)) expected += std::string(expected.empty() ? "" : ", ") + name;
    for (const char* o : others) expected += std::string(", ") + o;
    throw std::runtime_error(std::string(var) + "=" + v + ": expected " + expected + " (or unset)");
  }
  if (want == WG_OFF || cuda_wgmma_here()) return want;
  fprintf(stderr, "loco-engine: %s=%s ignored: the wgmma kernels need an sm_90a build on a compute capability 9.0 GPU "
          "(H100, H200; this one is %d.%d); the tc2 kernels run\n", var, getenv(var), cuda_device_cc() / 10, cuda_device_cc() % 10);
  return WG_OFF;
}
WgMode wgmma_fwd_mode() {
  static const WgMode m = wgmma_env("LOCO_CUDA_ATTN_FWD", {WG_PIPE, WG_PIPE2, WG_SYNC, WG_PIPE_SW, WG_PIPE2_SW, WG_PIPE2_K128, WG_PIPE2_K128_SW,
                                                      WG_PIPE2_AREG, WG_PIPE2_AREG_SW, WG_PIPE2_PP, WG_PIPE2_PP_SW, WG_PIPE2_PP_AREG_SW,
                                                      WG_PIPE2_WS, WG_PIPE2_WS_SW, WG_PIPE2_TMA, WG_PIPE2_TMA_K128},
                                   {"cudnn", "own"});  // (cudnn: attention_cudnn.cu's; own: ours, not cuDNN's default; attention.cu)
  return m;
}
bool wgmma_fwd() { return wgmma_fwd_mode() != WG_OFF; }
template <int HD, int WGS, bool PIPE, bool SW = false, int KN = 64, bool AREG = false, bool MB = false, bool WS = false>
void fwd_wgmma(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H) {
  using W = WgShape<HD, WGS>;
  // (SW: the alignment; MB: a fourth K/V stage and eight mbarriers after the stages)
  constexpr size_t smem = (KN == 128 ? W::fwd_smem_k128 : MB ? W::fwd_smem_mb : PIPE ? W::fwd_smem_pipe : W::fwd_smem) + (SW ? 1024 : 0);
  auto kernel = attn3_fwd_kernel<HD, WGS, PIPE, SW, KN, AREG, MB, WS>;
  set_dynamic_smem(kernel, smem);
  // (WS: and the producer warpgroup)
  kernel<<<dim3(cdiv(Tn, W::ROWS * WGS), B * H), W::NT + (WS ? 128 : 0), smem, engine_stream()>>>(y, lse, qkv, Tn, H, LOG2E / sqrtf((float)HD));
  CUDA_LAUNCH_CHECK("attn3_fwd (wgmma)");
}
// A bf16 tensor [B, Tn, cols] as the TMA kernels read it (attention_wg_kernels.cuh, "TMA"): 3-D,
// read in 64 × 64 boxes in the 128-byte swizzle, zeros past its end. Made for each launch (host work
// only: the tensor's address is in the map) by the driver's cuTensorMapEncodeTiled, reached through
// the runtime, so that the build needs no libcuda.
CUtensorMap bf16_map(const bf16* base, int B, int Tn, uint64_t cols) {
  static const PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess || !fn)
      throw std::runtime_error("wgmma2-tma: this CUDA driver has no cuTensorMapEncodeTiled (it needs CUDA 12.0 or later)");
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  const cuuint64_t dim[3] = {cols, (cuuint64_t)Tn, (cuuint64_t)B};
  const cuuint64_t stride[2] = {cols * sizeof(bf16), (cuuint64_t)Tn * cols * sizeof(bf16)};  // bytes; dims 1, 2
  const cuuint32_t box[3] = {64, 64, 1}, elem_stride[3] = {1, 1, 1};
  CUtensorMap map;
  const CUresult r = encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<bf16*>(base), dim, stride, box, elem_stride,
                            CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw std::runtime_error("wgmma2-tma: cuTensorMapEncodeTiled failed (CUresult " + std::to_string((int)r) + ") for a tensor at " +
                             std::to_string((uintptr_t)base) + ", " + std::to_string(B) + " × " + std::to_string(Tn) + " × " +
                             std::to_string(cols) + " (it needs a 16-byte aligned address)");
  return map;
}
// qkv [B, Tn, 3·d] and dy [B, Tn, d], as the TMA kernels read them
CUtensorMap qkv_map(const bf16* qkv, int B, int Tn, int H, int HD) { return bf16_map(qkv, B, Tn, 3 * (uint64_t)H * HD); }
CUtensorMap dy_map(const bf16* dy, int B, int Tn, int H, int HD) { return bf16_map(dy, B, Tn, (uint64_t)H * HD); }
template <int HD, int KN>
void fwd_wgmma_tma(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H) {
  using W = WgShape<HD, 2>;
  constexpr size_t smem = (KN == 128 ? W::fwd_smem_ws_k128 : W::fwd_smem_mb) + 1024;  // (the swizzle's alignment)
  set_dynamic_smem(attn3_fwd_tma_kernel<HD, KN>, smem);
  attn3_fwd_tma_kernel<HD, KN><<<dim3(cdiv(Tn, W::ROWS * 2), B * H), W::NT + 128, smem, engine_stream()>>>(y, lse, qkv_map(qkv, B, Tn, H, HD), Tn, H,
                                                                                     LOG2E / sqrtf((float)HD));
  CUDA_LAUNCH_CHECK("attn3_fwd (wgmma, TMA)");
}
template <int HD>
void fwd_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, const float* cs, const float* sn) {
  if (cs) return fwd_tc2<HD, true>(y, lse, qkv, B, Tn, H, cs, sn);
  if constexpr (HD == 64 || HD == 128)
    switch (wgmma_fwd_mode()) {
      case WG_PIPE: return fwd_wgmma<HD, 1, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2: return fwd_wgmma<HD, 2, true>(y, lse, qkv, B, Tn, H);
      case WG_SYNC: return fwd_wgmma<HD, 1, false>(y, lse, qkv, B, Tn, H);
      case WG_PIPE_SW: return fwd_wgmma<HD, 1, true, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_SW: return fwd_wgmma<HD, 2, true, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_K128: return fwd_wgmma<HD, 2, true, false, 128>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_K128_SW: return fwd_wgmma<HD, 2, true, true, 128>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_AREG: return fwd_wgmma<HD, 2, true, false, 64, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_AREG_SW: return fwd_wgmma<HD, 2, true, true, 64, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_PP: return fwd_wgmma<HD, 2, true, false, 64, false, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_PP_SW: return fwd_wgmma<HD, 2, true, true, 64, false, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_PP_AREG_SW: return fwd_wgmma<HD, 2, true, true, 64, true, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_WS: return fwd_wgmma<HD, 2, true, false, 64, false, true, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_WS_SW: return fwd_wgmma<HD, 2, true, true, 64, false, true, true>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_TMA: return fwd_wgmma_tma<HD, 64>(y, lse, qkv, B, Tn, H);
      case WG_PIPE2_TMA_K128: return fwd_wgmma_tma<HD, 128>(y, lse, qkv, B, Tn, H);
      case WG_OFF:
      case WG_PIPE2_ATOMIC:
      case WG_PIPE2_ATOMIC_SW:
      case WG_PIPE2_ATOMIC_AREG:
      case WG_PIPE2_MB:
      case WG_PIPE2_MB_SW: break;  // (backward settings only)
    }
  if (wide_parts(HD) & WIDE_FWD) return fwd_tc2<HD, false, Wide<HD>::FWD_MT, Wide<HD>::FWD_TK>(y, lse, qkv, B, Tn, H, nullptr, nullptr);
  fwd_tc2<HD, false>(y, lse, qkv, B, Tn, H, nullptr, nullptr);
}

// the dQ kernel with DQ_MT m-tiles per warp and DQ_TK-row key tiles
template <int HD, int ROPE, int DQ_MT = 1, int DQ_TK = TK>
void bwd_dq(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
            const float* cs, const float* sn) {
  const float scale = 1.0f / sqrtf((float)HD);
  constexpr size_t dq = dq_smem<HD, DQ_MT, DQ_TK>();
  set_dynamic_smem(attn2_bwd_dq_kernel<HD, ROPE, DQ_MT, DQ_TK>, dq);
  attn2_bwd_dq_kernel<HD, ROPE, DQ_MT, DQ_TK>
      <<<dim3(cdiv(Tn, Shape<HD>::rows(DQ_MT)), B * H), Shape<HD>::NT, dq, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale,
                                                                                scale * LOG2E, cs, sn);
  CUDA_LAUNCH_CHECK("attn2_bwd_dq");
}
// DKV_MT, DKV_TK: the dK/dV kernel's m-tiles per warp and tile rows; DQ_MT, DQ_TK the dQ kernel's.
// ROPE: RopeMode (attention_tc2_kernels.cuh)
template <int HD, int ROPE, int DKV_MT = 1, int DKV_TK = TK, int DQ_MT = 1, int DQ_TK = TK>
void bwd_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
             const float* cs, const float* sn) {
  const float scale = 1.0f / sqrtf((float)HD);
  constexpr size_t dkv = dkv_smem<HD, false, DKV_MT, DKV_TK>();
  set_dynamic_smem(attn2_bwd_dkv_kernel<HD, ROPE, false, DKV_MT, DKV_TK>, dkv);
  attn2_bwd_dkv_kernel<HD, ROPE, false, DKV_MT, DKV_TK>
      <<<dim3(cdiv(Tn, Shape<HD>::rows(DKV_MT)), B * H), Shape<HD>::NT, dkv, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale,
                                                                                  scale * LOG2E, cs, sn);
  CUDA_LAUNCH_CHECK("attn2_bwd_dkv");
  bwd_dq<HD, ROPE, DQ_MT, DQ_TK>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
}
// LOCO_CUDA_ATTN_BWD=fused (opt-in: correct on an H100 but 2.4-2.7x slower than the two kernels,
// h100-5 in docs/benchmarks.md): one backward kernel that also adds
// each key block's dQ share into an fp32 accumulator in key-block order (attn2_bwd_dkv_kernel's
// FUSED_DQ), then dq = bf16(acc · scale); without the fused RoPE only. Its scratch (the accumulator,
// B·T·d floats, and a counter per head and query tile) grows on demand and is kept.
// LOCO_CUDA_ATTN_BWD=partials (opt-in, not yet run on a GPU): the same dK/dV kernel stores each key
// block's dQ share as a partial, without waiting on other blocks (DQ_PARTIALS), and a reduce kernel
// adds the partials in key-block order: the ordered accumulation's sums and bits. Scratch: ⌈T/64⌉
// partials of B·T·d floats (0.8 GB for gpt2-124m at 16k tokens, 4.3 GB for 1b), grown and kept.
// LOCO_CUDA_ATTN_BWD=atomic (opt-in, not yet run on a GPU): the same kernel adds each share into the
// fp32 accumulator with atomic adds, without waiting and without partials (FlashAttention-2's dQ;
// not bit-reproducible across runs), then the finish kernel converts it.
int bwd_dq_mode() {
  static const int mode = env_is("LOCO_CUDA_ATTN_BWD", "fused")      ? DQ_ORDERED
                          : env_is("LOCO_CUDA_ATTN_BWD", "partials") ? DQ_PARTIALS
                          : env_is("LOCO_CUDA_ATTN_BWD", "atomic")   ? DQ_ATOMIC
                                                                      : DQ_SEPARATE;
  return mode;
}
// LOCO_CUDA_ATTN_BWD=wgmma (opt-in; h200-7: right, and slower than tc2): the dK/dV and dQ kernels on warpgroup MMA
// (attention_wg_kernels.cuh) at head_dim 64 and 128 without RoPE in the kernels, their products
// overlapped with the softmax work (PIPE); LOCO_CUDA_ATTN_BWD=wgmma-sync: the same kernels waiting for
// each batch of products (the same bits); LOCO_CUDA_ATTN_BWD=wgmma2: overlapped, with two warpgroups
// per block sharing each Q/dO (dK/dV) or K/V (dQ) tile (the same bits). Other head dims and the RoPE
// variants keep the tc2 kernels.
// Unset or `own`, where cuDNN's backward does not run (attention.cu: its default on an H100/H200 since
// h200-8), our backward runs wgmma2 at head_dim 128 on a GPU that runs wgmma (h200-7, 1b: dK/dV 23.5
// and dQ 15.5 ms per step against the tc2 kernels' 24.5 and 16.5), the tc2 kernels elsewhere: at
// head_dim 64 wgmma2 was slower (10.1 against 8.0 ms per gpt2-124m step), and with RoPE in the
// kernels (LOCO_CUDA_ROPE_FUSED, LOCO_CUDA_ROPE_BWD=fused) only the tc2 kernels have the tables.
// LOCO_CUDA_ATTN_BWD=tc2 keeps the tc2 kernels everywhere.
WgMode wgmma_mode_env() {
  static const WgMode m =
      wgmma_env("LOCO_CUDA_ATTN_BWD", {WG_PIPE, WG_PIPE2, WG_SYNC, WG_PIPE2_SW, WG_PIPE2_ATOMIC, WG_PIPE2_ATOMIC_SW,
                                       WG_PIPE2_AREG, WG_PIPE2_AREG_SW, WG_PIPE2_ATOMIC_AREG, WG_PIPE2_MB, WG_PIPE2_MB_SW, WG_PIPE2_TMA},
                {"fused", "partials", "atomic", "tc2", "cudnn", "cudnn-det", "own"});  // (cudnn*: attention_cudnn.cu's; own: our default kernels; attention.cu)
  return m;
}
WgMode wgmma_mode(int hd) {
  // (own: our kernels' defaults, as unset, without cuDNN's default)
  static const bool set = !env_unset("LOCO_CUDA_ATTN_BWD") && !env_is("LOCO_CUDA_ATTN_BWD", "own");
  if (set) return wgmma_mode_env();
  static const bool rope_in_kernels = env_is("LOCO_CUDA_ROPE_BWD", "fused") || env_is("LOCO_CUDA_ROPE_FUSED", "1");
  return hd == 128 && !rope_in_kernels && cuda_wgmma_here() ? WG_PIPE2 : WG_OFF;
}
bool wgmma_bwd(int hd) { return wgmma_mode(hd) != WG_OFF; }
bool fused_bwd_opt_in() { return bwd_dq_mode() != DQ_SEPARATE; }
struct FusedScratch {
  float* dq = nullptr;
  int* sem = nullptr;
  size_t dq_cap = 0, sem_cap = 0;
};
FusedScratch g_fused;
template <typename P>
void grow(P*& p, size_t& cap, size_t n) {
  if (n <= cap) return;
  if (p) {
    CUDA_CHECK(cudaFree(p));
    engine_buffer_freed();
  }
  p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, n * sizeof(P)));
  cap = n;
}

// the atomic backwards' fp32 dQ scratch (rows · d floats, grown and kept), zeroed for the adds
float* zeroed_dq_scratch(size_t n) {
  grow(g_fused.dq, g_fused.dq_cap, n);
  CUDA_CHECK(cudaMemsetAsync(g_fused.dq, 0, n * sizeof(float), engine_stream()));
  return g_fused.dq;
}
// dq (the q columns of dqkv) = bf16(scratch · scale): the last kernel of the backwards that sum dQ
// in the fp32 scratch (ordered or by atomic adds)
template <int HD>
void dq_finish(bf16* dqkv, size_t rows, size_t d, float scale) {
  attn2_dq_finish_kernel<HD><<<cdiv(rows * d / 8, 256), 256, 0, engine_stream()>>>(dqkv, g_fused.dq, rows, (int)d, scale);
  CUDA_LAUNCH_CHECK("attn2_dq_finish");
}

template <int HD>
void bwd_tc2_fused(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H) {
  const float scale = 1.0f / sqrtf((float)HD);
  const int nkb = cdiv(Tn, Shape<HD>::BR), nq = cdiv(Tn, TK), BH = B * H;
  const size_t rows = (size_t)B * Tn, d = (size_t)H * HD, counters = (size_t)BH * nq;
  grow(g_fused.dq, g_fused.dq_cap, rows * d);
  grow(g_fused.sem, g_fused.sem_cap, counters + 1);  // + the ticket
  CUDA_CHECK(cudaMemsetAsync(g_fused.sem, 0, (counters + 1) * sizeof(int), engine_stream()));
  constexpr size_t smem = dkv_smem<HD, DQ_ORDERED>();
  set_dynamic_smem(attn2_bwd_dkv_kernel<HD, ROPE_NONE, DQ_ORDERED>, smem);
  attn2_bwd_dkv_kernel<HD, ROPE_NONE, DQ_ORDERED><<<nkb * BH, Shape<HD>::NT, smem, engine_stream()>>>(
      dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E, nullptr, nullptr, g_fused.dq, g_fused.sem,
      g_fused.sem + counters);
  CUDA_LAUNCH_CHECK("attn2_bwd_dkv (fused dQ)");
  dq_finish<HD>(dqkv, rows, d, scale);
}

// DQ_PARTIALS and DQ_ATOMIC: the dK/dV kernel without waiting, then a kernel that turns its fp32
// dQ scratch into dq (the reduce over the partials, or the finish of the atomic sums)
template <int HD, int MODE>
void bwd_tc2_dq_unordered(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn,
                          int H) {
  static_assert(MODE == DQ_PARTIALS || MODE == DQ_ATOMIC, "the modes without waiting");
  const float scale = 1.0f / sqrtf((float)HD);
  const int nkb = cdiv(Tn, Shape<HD>::BR), BH = B * H;
  const size_t rows = (size_t)B * Tn, d = (size_t)H * HD;
  if (MODE == DQ_PARTIALS) grow(g_fused.dq, g_fused.dq_cap, (size_t)nkb * rows * d);
  else zeroed_dq_scratch(rows * d);
  constexpr size_t smem = dkv_smem<HD, MODE>();
  set_dynamic_smem(attn2_bwd_dkv_kernel<HD, ROPE_NONE, MODE>, smem);
  attn2_bwd_dkv_kernel<HD, ROPE_NONE, MODE><<<dim3(nkb, BH), Shape<HD>::NT, smem, engine_stream()>>>(
      dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E, nullptr, nullptr, g_fused.dq);
  CUDA_LAUNCH_CHECK(MODE == DQ_PARTIALS ? "attn2_bwd_dkv (dQ partials)" : "attn2_bwd_dkv (dQ atomics)");
  if (MODE == DQ_ATOMIC) return dq_finish<HD>(dqkv, rows, d, scale);
  attn2_dq_reduce_kernel<HD><<<cdiv(rows * d / 8, 256), 256, 0, engine_stream()>>>(dqkv, g_fused.dq, rows, Tn, (int)d, scale);
  CUDA_LAUNCH_CHECK("attn2_dq_reduce");
}

// the two backward kernels with each one's rows per warp (wide_parts) and RoPE mode R (ROPE_NONE or
// ROPE_OUT: cs, sn given)
template <int HD, int R>
void bwd_tc2_rows(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
                  const float* cs, const float* sn) {
  using W = Wide<HD>;
  switch (wide_parts(HD) & (WIDE_DKV | WIDE_DQ)) {
    case WIDE_DKV | WIDE_DQ:
      return bwd_tc2<HD, R, W::DKV_MT, W::DKV_TK, W::DQ_MT, W::DQ_TK>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    case WIDE_DKV: return bwd_tc2<HD, R, W::DKV_MT, W::DKV_TK>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    case WIDE_DQ: return bwd_tc2<HD, R, 1, TK, W::DQ_MT, W::DQ_TK>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    default: return bwd_tc2<HD, R>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
  }
}
// LOCO_CUDA_ATTN_BWD=wgmma / wgmma-sync / wgmma2: attn3_bwd_dkv_kernel, then attn3_bwd_dq_kernel
// (AREG, wgmma2-areg at head_dim 64: K, V and Q, dO held in registers as the score products' A; MB,
// wgmma2-mb: both kernels' stages handed over by mbarriers instead of block barriers)
template <int HD, bool PIPE, int WGS = 1, bool SW = false, bool AREG = false, bool MB = false>
void bwd_wgmma(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H) {
  using W = WgShape<HD, WGS>;
  const float scale = 1.0f / sqrtf((float)HD);
  const dim3 grid(cdiv(Tn, W::ROWS * WGS), B * H);
  constexpr size_t smem = (MB ? W::smem_mb : W::smem) + (SW ? 1024 : 0);  // (SW: the alignment)
  auto dkv = attn3_bwd_dkv_kernel<HD, PIPE, WGS, SW, false, AREG, MB>;
  set_dynamic_smem(dkv, smem);
  dkv<<<grid, W::NT, smem, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E, nullptr);
  CUDA_LAUNCH_CHECK("attn3_bwd_dkv (wgmma)");
  auto dq = attn3_bwd_dq_kernel<HD, PIPE, WGS, SW, AREG, MB>;
  set_dynamic_smem(dq, smem);
  dq<<<grid, W::NT, smem, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E);
  CUDA_LAUNCH_CHECK("attn3_bwd_dq (wgmma)");
}
// LOCO_CUDA_ATTN_BWD=wgmma2-tma: wgmma2-mb-sw with the tiles TMA boxes (attn3_bwd_{dkv,dq}_tma_kernel)
template <int HD>
void bwd_wgmma_tma(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H) {
  using W = WgShape<HD, 2>;
  const float scale = 1.0f / sqrtf((float)HD);
  const dim3 grid(cdiv(Tn, W::ROWS * 2), B * H);
  constexpr size_t smem = W::smem_mb + 1024;  // (the swizzle's alignment)
  const CUtensorMap qm = qkv_map(qkv, B, Tn, H, HD), dm = dy_map(dy, B, Tn, H, HD);
  set_dynamic_smem(attn3_bwd_dkv_tma_kernel<HD>, smem);
  attn3_bwd_dkv_tma_kernel<HD><<<grid, W::NT, smem, engine_stream()>>>(dqkv, qm, dm, lse, D, Tn, H, scale, scale * LOG2E);
  CUDA_LAUNCH_CHECK("attn3_bwd_dkv (wgmma, TMA)");
  set_dynamic_smem(attn3_bwd_dq_tma_kernel<HD>, smem);
  attn3_bwd_dq_tma_kernel<HD><<<grid, W::NT, smem, engine_stream()>>>(dqkv, qm, dm, lse, D, Tn, H, scale, scale * LOG2E);
  CUDA_LAUNCH_CHECK("attn3_bwd_dq (wgmma, TMA)");
}
// LOCO_CUDA_ATTN_BWD=wgmma2-atomic: the two-warpgroup dK/dV kernel that also adds dQ into the fp32
// scratch with atomic adds (its DQ), then the finish kernel that turns the scratch into dq.
// wgmma2-atomic-sw: the same with the tiles in the 128-byte swizzle, at head_dim 128 (at 64 the
// unswizzled kernel runs: attn3_bwd_dkv_kernel's DQ says why). AREG (wgmma2-atomic-areg, head_dim
// 64): K and V held in registers as Sᵀ's and dPᵀ's A.
template <int HD, bool SW = false, bool AREG = false>
void bwd_wgmma_atomic(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H) {
  using W = WgShape<HD, 2>;
  const float scale = 1.0f / sqrtf((float)HD);
  const size_t rows = (size_t)B * Tn, d = (size_t)H * HD;
  float* dq_acc = zeroed_dq_scratch(rows * d);
  auto* kernel = attn3_bwd_dkv_kernel<HD, true, 2, SW, true, AREG>;
  constexpr size_t smem = W::fused_smem + (SW ? 1024 : 0);  // (SW: the alignment)
  set_dynamic_smem(kernel, smem);
  kernel<<<dim3(cdiv(Tn, W::ROWS * 2), B * H), W::NT, smem, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E, dq_acc);
  CUDA_LAUNCH_CHECK("attn3_bwd_dkv (wgmma, dQ atomics)");
  dq_finish<HD>(dqkv, rows, d, scale);
}
template <int HD>
void bwd_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
             const float* cs, const float* sn, bool rope_out) {
  if (cs && !rope_out) return bwd_tc2<HD, ROPE_FULL>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
  if constexpr (HD == 64 || HD == 128)  // (attention_rope_bwd_fused is off with it: no tables here)
    if (wgmma_bwd(HD)) {
      if (cs) throw std::runtime_error("tensor-core attention: the wgmma backward does not undo RoPE");
      switch (wgmma_mode(HD)) {
        case WG_SYNC: return bwd_wgmma<HD, false>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2: return bwd_wgmma<HD, true, 2>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_SW: return bwd_wgmma<HD, true, 2, true>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_ATOMIC: return bwd_wgmma_atomic<HD>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_ATOMIC_SW: return bwd_wgmma_atomic<HD, HD == 128>(dqkv, D, qkv, dy, lse, B, Tn, H);
        // the A operands in registers at head_dim 64; at 128 (too few registers left) the same kernels without
        case WG_PIPE2_AREG: return bwd_wgmma<HD, true, 2, false, HD == 64>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_AREG_SW: return bwd_wgmma<HD, true, 2, true, HD == 64>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_ATOMIC_AREG: return bwd_wgmma_atomic<HD, false, HD == 64>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_MB: return bwd_wgmma<HD, true, 2, false, false, true>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_MB_SW: return bwd_wgmma<HD, true, 2, true, false, true>(dqkv, D, qkv, dy, lse, B, Tn, H);
        case WG_PIPE2_TMA: return bwd_wgmma_tma<HD>(dqkv, D, qkv, dy, lse, B, Tn, H);
        default: return bwd_wgmma<HD, true>(dqkv, D, qkv, dy, lse, B, Tn, H);  // WG_PIPE (the forward-only modes never get here)
      }
    }
  if (fused_bwd_opt_in()) {
    if (cs) throw std::runtime_error("tensor-core attention: the fused backward does not undo RoPE");
    if (bwd_dq_mode() == DQ_PARTIALS) return bwd_tc2_dq_unordered<HD, DQ_PARTIALS>(dqkv, D, qkv, dy, lse, B, Tn, H);
    if (bwd_dq_mode() == DQ_ATOMIC) return bwd_tc2_dq_unordered<HD, DQ_ATOMIC>(dqkv, D, qkv, dy, lse, B, Tn, H);
    return bwd_tc2_fused<HD>(dqkv, D, qkv, dy, lse, B, Tn, H);
  }
  if (cs) return bwd_tc2_rows<HD, ROPE_OUT>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
  bwd_tc2_rows<HD, ROPE_NONE>(dqkv, D, qkv, dy, lse, B, Tn, H, nullptr, nullptr);
}

}  // namespace

bool attention_tc_supports(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }
void attention_tc2_check_env() {
  wide_env();
  wgmma_fwd_mode();
  wgmma_mode_env();
}
bool attention_tc2_fused_bwd() { return fused_bwd_opt_in(); }
// the head sizes the wgmma kernels are instantiated for (fwd_tc2, bwd_tc2 above)
static bool wgmma_head_dim(int hd) { return hd == 64 || hd == 128; }
bool attention_tc2_wgmma_bwd(int hd) { return wgmma_bwd(hd) && wgmma_head_dim(hd); }
// (with the fused RoPE the tc2 forward runs: its tables take precedence, as fwd_tc2 above)
bool attention_tc2_wgmma_fwd(int hd) { return wgmma_fwd() && wgmma_head_dim(hd); }
const char* attention_tc2_fwd_name(int hd) {
  if (!attention_tc2_wgmma_fwd(hd)) return "";
  switch (wgmma_fwd_mode()) {
    case WG_PIPE2: return "wgmma forward, 2 warpgroups";
    case WG_SYNC: return "wgmma forward, sync";
    case WG_PIPE_SW: return "wgmma forward, 128-byte swizzle";
    case WG_PIPE2_SW: return "wgmma forward, 2 warpgroups, 128-byte swizzle";
    case WG_PIPE2_K128: return "wgmma forward, 2 warpgroups, 128-key tiles";
    case WG_PIPE2_K128_SW: return "wgmma forward, 2 warpgroups, 128-key tiles, 128-byte swizzle";
    case WG_PIPE2_AREG: return "wgmma forward, 2 warpgroups, Q in registers";
    case WG_PIPE2_AREG_SW: return "wgmma forward, 2 warpgroups, Q in registers, 128-byte swizzle";
    case WG_PIPE2_PP: return "wgmma forward, 2 warpgroups in turns, mbarrier stages";
    case WG_PIPE2_PP_SW: return "wgmma forward, 2 warpgroups in turns, mbarrier stages, 128-byte swizzle";
    case WG_PIPE2_PP_AREG_SW: return "wgmma forward, 2 warpgroups in turns, mbarrier stages, Q in registers, 128-byte swizzle";
    case WG_PIPE2_WS: return "wgmma forward, producer warpgroup, 2 warpgroups in turns";
    case WG_PIPE2_WS_SW: return "wgmma forward, producer warpgroup, 2 warpgroups in turns, 128-byte swizzle";
    case WG_PIPE2_TMA: return "wgmma forward, TMA producer, 2 warpgroups in turns, 128-byte swizzle";
    case WG_PIPE2_TMA_K128: return "wgmma forward, TMA producer, 2 warpgroups in turns, 128-key tiles, 128-byte swizzle";
    default: return "wgmma forward";
  }
}
const char* attention_tc2_bwd_name(int hd) {
  if (wgmma_bwd(hd))
    return !attention_tc2_wgmma_bwd(hd)         ? ""
           : wgmma_mode(hd) == WG_SYNC  ? "wgmma backward, sync"
           : wgmma_mode(hd) == WG_PIPE2_SW ? "wgmma backward, 2 warpgroups, 128-byte swizzle"
           : wgmma_mode(hd) == WG_PIPE2_ATOMIC_SW && hd == 128 ? "wgmma fused backward, 2 warpgroups, dQ atomics, 128-byte swizzle"
           : wgmma_mode(hd) == WG_PIPE2_ATOMIC || wgmma_mode(hd) == WG_PIPE2_ATOMIC_SW ? "wgmma fused backward, 2 warpgroups, dQ atomics"
           : wgmma_mode(hd) == WG_PIPE2_AREG ? (hd == 64 ? "wgmma backward, 2 warpgroups, A operands in registers" : "wgmma backward, 2 warpgroups")
           : wgmma_mode(hd) == WG_PIPE2_AREG_SW ? (hd == 64 ? "wgmma backward, 2 warpgroups, A operands in registers, 128-byte swizzle" : "wgmma backward, 2 warpgroups, 128-byte swizzle")
           : wgmma_mode(hd) == WG_PIPE2_ATOMIC_AREG ? (hd == 64 ? "wgmma fused backward, 2 warpgroups, dQ atomics, K and V in registers" : "wgmma fused backward, 2 warpgroups, dQ atomics")
           : wgmma_mode(hd) == WG_PIPE2_MB ? "wgmma backward, 2 warpgroups, mbarrier stages"
           : wgmma_mode(hd) == WG_PIPE2_MB_SW ? "wgmma backward, 2 warpgroups, mbarrier stages, 128-byte swizzle"
           : wgmma_mode(hd) == WG_PIPE2_TMA ? "wgmma backward, 2 warpgroups, mbarrier stages, TMA copies, 128-byte swizzle"
           : wgmma_mode(hd) == WG_PIPE2 ? "wgmma backward, 2 warpgroups"
                                      : "wgmma backward";
  return bwd_dq_mode() == DQ_PARTIALS ? "fused backward, dQ partials"
         : bwd_dq_mode() == DQ_ATOMIC ? "fused backward, dQ atomics"
         : bwd_dq_mode() == DQ_ORDERED ? "fused backward"
                                       : "";
}
std::string attention_tc2_wide(int hd) {
  // the parts the wgmma kernels replace have no rows per warp to speak of
  const unsigned w = wide_parts(hd) & ~(attention_tc2_wgmma_fwd(hd) ? WIDE_FWD : 0u) &
                     ~(attention_tc2_wgmma_bwd(hd) ? (WIDE_DKV | WIDE_DQ) : 0u);
  if (w == WIDE_ALL) return "32 rows per warp";
  std::string parts;
  for (auto [bit, name] : {std::pair{WIDE_FWD, "fwd"}, {WIDE_DKV, "dkv"}, {WIDE_DQ, "dq"}})
    if (w & bit) parts += (parts.empty() ? "" : ",") + std::string(name);
  return parts.empty() ? "" : "32 rows per warp in " + parts;
}

void k_attention_forward_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, int hd, const float* cs,
                             const float* sn) {
  switch (hd) {
    case 16: return fwd_tc2<16>(y, lse, qkv, B, Tn, H, cs, sn);
    case 32: return fwd_tc2<32>(y, lse, qkv, B, Tn, H, cs, sn);
    case 64: return fwd_tc2<64>(y, lse, qkv, B, Tn, H, cs, sn);
    case 128: return fwd_tc2<128>(y, lse, qkv, B, Tn, H, cs, sn);
  }
  throw std::runtime_error("tensor-core attention: unsupported head_dim");
}

void k_attention_backward_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B,
                              int Tn, int H, int hd, const float* cs, const float* sn, bool rope_out) {
  switch (hd) {
    case 16: return bwd_tc2<16>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn, rope_out);
    case 32: return bwd_tc2<32>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn, rope_out);
    case 64: return bwd_tc2<64>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn, rope_out);
    case 128: return bwd_tc2<128>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn, rope_out);
  }
  throw std::runtime_error("tensor-core attention: unsupported head_dim");
}
