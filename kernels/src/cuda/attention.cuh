// Causal attention without a T×T matrix: flash-style forward (online softmax over key tiles, the
// row logsumexp saved) and a recomputing backward (one pass over key blocks for dK, dV, one over
// query blocks for dQ: no atomics, deterministic). q, k, v live in qkv[B,T,3·d] (q at column 0,
// k at d, v at 2d; head h at h·hd within each), y and dy are [B,T,d], lse and D are [B,H,T].
#pragma once
#include "common.cuh"

bool attention_supports_head_dim(int hd);
template <typename T>
void k_attention_forward(T* y, float* lse, const T* qkv, int B, int Tn, int H, int hd);
// dqkv[B,T,3·d] is overwritten; D is scratch of B·H·T floats.
template <typename T>
void k_attention_backward(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B, int Tn,
                          int H, int hd);
