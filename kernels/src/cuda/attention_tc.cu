// Flash attention on tensor cores (bf16 mma.sync m16n8k16, fp32 accumulation), FA2-style: the
// forward keeps a 16-row strip of queries per warp and streams 64-key tiles (online softmax, only
// the row logsumexp is saved); the backward recomputes the probabilities in two passes (dK/dV per
// 64-key block, dQ per 64-query block: no atomics, deterministic). Layouts as attention.cuh.
//
// mma.m16n8k16 fragments (g = lane/4, t = lane%4): A (16×16, row-major) a0 = (g, 2t..2t+1),
// a1 = (g+8, 2t..), a2 = (g, 2t+8..), a3 = (g+8, 2t+8..); B (16×8, "col") b0 = (k 2t..2t+1, n g),
// b1 = (k 2t+8.., n g); C (16×8) c0,c1 = (g, 2t..2t+1), c2,c3 = (g+8, 2t..). Two bf16 per 32-bit
// register, the lower index in the low half. Shared-memory rows are padded by 8 bf16 (16 bytes)
// so the 8 rows a fragment load touches fall in different banks.
#include <cmath>
#include <cstdint>

#include "attention.cuh"
#include "attention_tc_kernels.cuh"
#include "common.cuh"

namespace {
using namespace attn_tc;


template <int HD>
void fwd_tc(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H) {
  constexpr int SR = HD + 8, ST = TB + 8;
  const size_t smem = (2 * TB * SR + HD * ST) * sizeof(bf16);
  set_dynamic_smem(attn_fwd_tc_kernel<HD>, smem);
  dim3 grid(cdiv(Tn, TB), B * H);
  attn_fwd_tc_kernel<HD><<<grid, NW * 32, smem>>>(y, lse, qkv, Tn, H, LOG2E / sqrtf((float)HD));
  CUDA_LAUNCH_CHECK("attn_fwd_tc");
}

template <int HD>
void bwd_tc(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B, int Tn, int H) {
  constexpr int SR = HD + 8, ST = TB + 8;
  const float scale = 1.0f / sqrtf((float)HD);
  dim3 grid(cdiv(Tn, TB), B * H);
  const size_t smem_kv = (4 * TB * SR + 2 * HD * ST) * sizeof(bf16) + 2 * TB * sizeof(float);
  set_dynamic_smem(attn_bwd_dkv_tc_kernel<HD>, smem_kv);
  attn_bwd_dkv_tc_kernel<HD><<<grid, NW * 32, smem_kv>>>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E);
  CUDA_LAUNCH_CHECK("attn_bwd_dkv_tc");
  const size_t smem_q = (4 * TB * SR + HD * ST) * sizeof(bf16);
  set_dynamic_smem(attn_bwd_dq_tc_kernel<HD>, smem_q);
  attn_bwd_dq_tc_kernel<HD><<<grid, NW * 32, smem_q>>>(dqkv, qkv, dy, lse, D, Tn, H, scale, scale * LOG2E);
  CUDA_LAUNCH_CHECK("attn_bwd_dq_tc");
}

}  // namespace

bool attention_tc_supports(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }

void k_attention_forward_tc(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, int hd) {
  switch (hd) {
    case 16: return fwd_tc<16>(y, lse, qkv, B, Tn, H);
    case 32: return fwd_tc<32>(y, lse, qkv, B, Tn, H);
    case 64: return fwd_tc<64>(y, lse, qkv, B, Tn, H);
    case 128: return fwd_tc<128>(y, lse, qkv, B, Tn, H);
  }
  throw std::runtime_error("tensor-core attention: unsupported head_dim");
}

void k_attention_backward_tc(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B,
                             int Tn, int H, int hd) {
  switch (hd) {
    case 16: return bwd_tc<16>(dqkv, D, qkv, dy, lse, B, Tn, H);
    case 32: return bwd_tc<32>(dqkv, D, qkv, dy, lse, B, Tn, H);
    case 64: return bwd_tc<64>(dqkv, D, qkv, dy, lse, B, Tn, H);
    case 128: return bwd_tc<128>(dqkv, D, qkv, dy, lse, B, Tn, H);
  }
  throw std::runtime_error("tensor-core attention: unsupported head_dim");
}
