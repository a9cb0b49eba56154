// Causal attention without a T×T matrix: flash-style forward (online softmax over key tiles, the
// row logsumexp saved) and a recomputing backward (one pass over key blocks for dK, dV, one over
// query blocks for dQ: no atomics, deterministic). q, k, v live in qkv[B,T,3·d] (q at column 0,
// k at d, v at 2d; head h at h·hd within each), y and dy are [B,T,d], lse and D are [B,H,T].
#pragma once
#include "attention_cudnn.h"
#include "common.cuh"

bool attention_supports_head_dim(int hd);
// Dispatch: bf16 runs on tensor cores (attention_tc2.cu) unless LOCO_CUDA_ATTN=simple
// (attention_impl() below); fp32 always on the CUDA-core kernels.
// rope_cs, rope_sn (the [T][hd/2] RoPE tables): when attention_rope_fused<T>(hd) (bf16, tc2 and
// LOCO_CUDA_ROPE_FUSED=1; off by default, measured slower), the kernels apply
// RoPE to q and k themselves (qkv holds them unrotated) and return dq, dk for the unrotated q, k;
// when attention_rope_bwd_fused<T>(hd) the backward's tables only rotate dq, dk back (q, k arrive
// rotated); otherwise the caller rotates qkv before and dqkv after (k_rope) and passes no tables
// (tables where neither holds are refused: std::logic_error).
template <typename T>
void k_attention_forward(T* y, float* lse, const T* qkv, int B, int Tn, int H, int hd, const float* rope_cs = nullptr,
                         const float* rope_sn = nullptr);
// dqkv[B,T,3·d] is overwritten; D is scratch of B·H·T floats.
template <typename T>
void k_attention_backward(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B, int Tn,
                          int H, int hd, const float* rope_cs = nullptr, const float* rope_sn = nullptr);
template <typename T>
bool attention_rope_fused(int hd);
// LOCO_CUDA_ROPE_BWD=fused (opt-in, tc2 without the fused RoPE, the fused backward or the wgmma one): the backward kernels
// rotate dq, dk back before their store, given the tables, instead of the inverse k_rope pass
template <typename T>
bool attention_rope_bwd_fused(int hd);
// the attention kernels that run for this precision and head size, in words (describe())
std::string attention_impl_name(bool half, int hd);
// Which bf16 kernels run: LOCO_CUDA_ATTN=simple (CUDA cores) or tc2 (tensor cores, cp.async +
// ldmatrix, attention_tc2.cu); the default is ATTN_DEFAULT (attention.cu).
enum class AttnImpl { Simple, TC2 };
AttnImpl attention_impl();
bool attention_tc_enabled();  // attention_impl() != Simple

// The two implementations, callable directly (gpu-parity compares them).
template <typename T>
void k_attention_forward_simple(T* y, float* lse, const T* qkv, int B, int Tn, int H, int hd);
template <typename T>
void k_attention_backward_simple(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B,
                                 int Tn, int H, int hd);
bool attention_tc_supports(int hd);
// cuDNN's attention runs (attention.cu: the default on an H100/H200 where libcudnn.so.9 loads, or
// LOCO_CUDA_ATTN_FWD=cudnn / LOCO_CUDA_ATTN_BWD=cudnn|cudnn-det), and its backward is the deterministic
// one (the default's, or cudnn-det). A shape cuDNN has no plan for still runs on our kernels by default.
bool attention_cudnn_fwd_on();
bool attention_cudnn_bwd_on();
bool attention_cudnn_bwd_deterministic();
// Reads LOCO_CUDA_ATTN_ROWS, LOCO_CUDA_ATTN_FWD and LOCO_CUDA_ATTN_BWD once; throws (naming the
// variable and the values it takes) on a value none of the kernels answers to. The backend calls it
// at start, so a misspelt setting stops the engine instead of measuring the default kernels.
void attention_tc2_check_env();
// LOCO_CUDA_ATTN_BWD=fused, partials or atomic: tc2's backward without the dQ kernel, dQ from the
// dK/dV kernel's dS through an ordered accumulation, stored partials or atomic adds (attention_tc2.cu;
// opt-in, without the fused RoPE)
bool attention_tc2_fused_bwd();
// the wgmma backward runs at this head size: LOCO_CUDA_ATTN_BWD=wgmma, wgmma-sync, wgmma2, wgmma2-sw or wgmma2-atomic
// at 64 and 128, or unset at 128 on an H100/H200 without RoPE in the kernels (the default since
// h200-7); it does not undo RoPE
bool attention_tc2_wgmma_bwd(int hd);
// LOCO_CUDA_ATTN_FWD=wgmma, wgmma2, wgmma-sync, wgmma-sw, wgmma2-sw or wgmma2-k128 at this head size (64, 128): the
// wgmma forward runs
// (unless RoPE is fused, LOCO_CUDA_ROPE_FUSED=1, whose tables the tc2 forward takes)
bool attention_tc2_wgmma_fwd(int hd);
// the wgmma forward in describe(): "wgmma forward", "wgmma forward, 2 warpgroups" (wgmma2), "wgmma
// forward, sync" (wgmma-sync), the same with ", 128-byte swizzle" (wgmma-sw, wgmma2-sw), "wgmma forward,
// 2 warpgroups, 128-key tiles" (wgmma2-k128) or ""
const char* attention_tc2_fwd_name(int hd);
// the backward in describe(): "fused backward", "fused backward, dQ partials" (LOCO_CUDA_ATTN_BWD=partials),
// "fused backward, dQ atomics" (atomic), "wgmma backward" (LOCO_CUDA_ATTN_BWD=wgmma, at head_dim 64 and
// 128), "wgmma backward, sync" (wgmma-sync), "wgmma backward, 2 warpgroups" (wgmma2, and the default
// at head_dim 128 on an H100/H200), the same with ", 128-byte swizzle" (wgmma2-sw), "wgmma fused
// backward, 2 warpgroups, dQ atomics" (wgmma2-atomic) or ""
const char* attention_tc2_bwd_name(int hd);
// which tc2 kernels run with 32 rows per warp at head_dim hd (attn_tc2::Wide; a default per head size,
// LOCO_CUDA_ATTN_ROWS overrides), in words ("32 rows per warp", "32 rows per warp in fwd,dq"), or ""
std::string attention_tc2_wide(int hd);
// cs, sn non-null: RoPE fused (see k_attention_forward). D must hold Σ dy·y per row (k_attention_bwd_pre).
void k_attention_forward_tc2(bf16* y, float* lse, const bf16* qkv, int B, int Tn, int H, int hd,
                             const float* cs = nullptr, const float* sn = nullptr);
// rope_out (with cs, sn): q, k arrive rotated and only dq, dk are rotated back, before their store
void k_attention_backward_tc2(bf16* dqkv, const float* D, const bf16* qkv, const bf16* dy, const float* lse, int B,
                              int Tn, int H, int hd, const float* cs = nullptr, const float* sn = nullptr,
                              bool rope_out = false);
template <typename T>
void k_attention_bwd_pre(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd);
