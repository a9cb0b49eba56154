// Launchers of the tensor-core attention (attention_tc2_kernels.cuh; the bf16 default).
#include <cmath>
#include <cstdint>

#include "attention.cuh"
#include "attention_tc2_kernels.cuh"
#include "common.cuh"

namespace {
using namespace attn_tc2;


// Each kernel is compiled twice, with and without the fused RoPE (cs, sn given or not), so the
// default (RoPE as a separate pass) carries none of the rotation code or its registers.
template <int HD, bool ROPE>
void fwd_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, const float* cs, const float* sn) {
  const size_t smem = fwd_smem<HD>();
  set_dynamic_smem(attn2_fwd_kernel<HD, ROPE>, smem);
  dim3 grid(cdiv(Tn, Shape<HD>::BR), B * H);
  attn2_fwd_kernel<HD, ROPE><<<grid, Shape<HD>::NT, smem>>>(y, lse, qkv, Tn, H, LOG2E / sqrtf((float)HD), cs, sn);
  CUDA_LAUNCH_CHECK("attn2_fwd");
}
template <int HD>
void fwd_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, const float* cs, const float* sn) {
  if (cs) return fwd_tc2<HD, true>(y, lse, qkv, B, Tn, H, cs, sn);
  fwd_tc2<HD, false>(y, lse, qkv, B, Tn, H, nullptr, nullptr);
}

template <int HD, bool ROPE>
void bwd_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
             const float* cs, const float* sn) {
  const float scale = 1.0f / sqrtf((float)HD);
  dim3 grid(cdiv(Tn, Shape<HD>::BR), B * H);
  set_dynamic_smem(attn2_bwd_dkv_kernel<HD, ROPE>, dkv_smem<HD>());
  attn2_bwd_dkv_kernel<HD, ROPE><<<grid, Shape<HD>::NT, dkv_smem<HD>()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale,
                                                                          scale * LOG2E, cs, sn);
  CUDA_LAUNCH_CHECK("attn2_bwd_dkv");
  set_dynamic_smem(attn2_bwd_dq_kernel<HD, ROPE>, dq_smem<HD>());
  attn2_bwd_dq_kernel<HD, ROPE><<<grid, Shape<HD>::NT, dq_smem<HD>()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale,
                                                                        scale * LOG2E, cs, sn);
  CUDA_LAUNCH_CHECK("attn2_bwd_dq");
}
template <int HD>
void bwd_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H,
             const float* cs, const float* sn) {
  if (cs) return bwd_tc2<HD, true>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
  bwd_tc2<HD, false>(dqkv, D, qkv, dy, lse, B, Tn, H, nullptr, nullptr);
}

}  // namespace

bool attention_tc_supports(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }

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
                              int Tn, int H, int hd, const float* cs, const float* sn) {
  switch (hd) {
    case 16: return bwd_tc2<16>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    case 32: return bwd_tc2<32>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    case 64: return bwd_tc2<64>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
    case 128: return bwd_tc2<128>(dqkv, D, qkv, dy, lse, B, Tn, H, cs, sn);
  }
  throw std::runtime_error("tensor-core attention: unsupported head_dim");
}
