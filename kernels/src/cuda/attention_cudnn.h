// LOCO_CUDA_ATTN_FWD=cudnn (opt-in, attention_cudnn.cu): the bf16 attention forward through cuDNN's
// fused flash attention, libcudnn.so.9 loaded at run time. Its lse is the tc2 forward's, so the
// backward is ours. Host code only (no device code: the CPU test builds it with g++).
#pragma once
#include <cuda_bf16.h>

#include <cstddef>
#include <string>

bool attention_cudnn_fwd_requested();
// Throws, saying why, where cuDNN cannot be loaded or has no engine for the graph.
void k_attention_forward_cudnn(__nv_bfloat16* y, float* lse, const __nv_bfloat16* qkv, int B, int Tn, int H, int hd);
// The graph's tensor and operation descriptors, finalized without a device: "" (and the number of
// operations, the library's version) or what failed.
std::string attention_cudnn_graph_check(int B, int Tn, int H, int hd, size_t* ops, size_t* version);
