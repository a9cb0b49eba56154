// LOCO_CUDA_ATTN_FWD=cudnn, LOCO_CUDA_ATTN_BWD=cudnn|cudnn-det (opt-in, attention_cudnn.cu): the bf16 attention
// through cuDNN's fused flash attention, libcudnn.so.9 loaded at run time. Its lse is the tc2
// forward's, so either can run beside our kernels. Host code only (the CPU test builds it with g++).
#pragma once
#include <cuda_bf16.h>

#include <cstddef>
#include <stdexcept>
#include <string>

bool attention_cudnn_fwd_requested();
// LOCO_CUDA_ATTN_BWD=cudnn or cudnn-det; cudnn-det: the deterministic backward (dQ without atomics)
bool attention_cudnn_bwd_requested();
bool attention_cudnn_bwd_deterministic();
// What the calls below throw where cuDNN has no plan for a shape: its operation graph, or every
// engine configuration, refused (before anything ran). Other failures throw std::runtime_error.
struct CudnnNoPlan : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Throws, saying why, where cuDNN cannot be loaded or has no engine for the graph.
void k_attention_forward_cudnn(__nv_bfloat16* y, float* lse, const __nv_bfloat16* qkv, int B, int Tn, int H, int hd);
// dqkv [B, T, 3·d] overwritten; D_scratch: B·H·T floats (softmax_sum, FlashAttention's D). Throws as
// the forward does.
void k_attention_backward_cudnn(__nv_bfloat16* dqkv, float* D_scratch, const __nv_bfloat16* qkv, const __nv_bfloat16* y,
                                const __nv_bfloat16* dy, const float* lse, int B, int Tn, int H, int hd);
// The three graphs' tensor and operation descriptors (forward, backward, deterministic backward),
// finalized without a device: "" (and the number of operations of each, the library's version) or
// what failed.
std::string attention_cudnn_graph_check(int B, int Tn, int H, int hd, size_t* fwd_ops, size_t* bwd_ops, size_t* bwd_det_ops,
                                        size_t* version);
