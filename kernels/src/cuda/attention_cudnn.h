// The bf16 attention through cuDNN's fused flash attention (attention_cudnn.cu), libcudnn.so.9 loaded at
// run time: the default on an H100/H200 since h200-8 (attention.cu), or asked for by the variables
// below. Its lse is the tc2 forward's, so either direction can run beside our kernels for the other. Host code only (the CPU test builds it with g++).
#pragma once
#include <cuda_bf16.h>

#include <cstddef>
#include <stdexcept>
#include <string>

// What the variables ask for: LOCO_CUDA_ATTN_FWD=cudnn, LOCO_CUDA_ATTN_BWD=cudnn or cudnn-det (cudnn-det:
// the deterministic backward, dQ without atomics). Unset, cuDNN is the default on some GPUs (attention.cu
// decides; attention_cudnn_fwd_on() and _bwd_on() there say whether it runs).
bool attention_cudnn_fwd_requested();
bool attention_cudnn_bwd_requested();
bool attention_cudnn_bwd_deterministic_requested();
// libcudnn.so.9 (or LOCO_CUDNN_LIB) loads and is cuDNN 9 or later (no device needed); else why not
bool attention_cudnn_loads(std::string* why = nullptr);
// What the calls below throw where cuDNN has no plan for a shape: its operation graph, or every
// engine configuration, refused (before anything ran). Other failures throw std::runtime_error.
struct CudnnNoPlan : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// How a call goes where cuDNN cannot run a shape (the library does not load or start, no plan, its
// workspace does not fit): Required (the variables asked for cuDNN) throws, saying why; Optional (the
// default) runs nothing, says why on stderr once per direction and shape, and returns false, so the
// engine's own kernels run instead. A failure after the plan was made throws in both.
enum class CudnnNeed { Required, Optional };
bool k_attention_forward_cudnn(__nv_bfloat16* y, float* lse, const __nv_bfloat16* qkv, int B, int Tn, int H, int hd,
                               CudnnNeed need = CudnnNeed::Required);
// dqkv [B, T, 3·d] overwritten; D_scratch: B·H·T floats (softmax_sum, FlashAttention's D);
// deterministic: dQ without atomic adds (dP kept in cuDNN's workspace: B·H·T² bf16)
bool k_attention_backward_cudnn(__nv_bfloat16* dqkv, float* D_scratch, const __nv_bfloat16* qkv, const __nv_bfloat16* y,
                                const __nv_bfloat16* dy, const float* lse, int B, int Tn, int H, int hd, bool deterministic,
                                CudnnNeed need = CudnnNeed::Required);
// The three graphs' tensor and operation descriptors (forward, backward, deterministic backward),
// finalized without a device: "" (and the number of operations of each, the library's version) or
// what failed.
std::string attention_cudnn_graph_check(int B, int Tn, int H, int hd, size_t* fwd_ops, size_t* bwd_ops, size_t* bwd_det_ops,
                                        size_t* version);
