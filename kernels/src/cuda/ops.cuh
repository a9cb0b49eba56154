// Element-wise and reduction kernels of the CUDA backend (launchers; kernels.cu). T is the
// activation type: float (precision fp32) or bf16 (precision bf16). The residual stream, norm
// statistics, logits, gradients of parameters and the optimizer state are always fp32.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common.cuh"

// Whether the kernels here launch as programmatic dependent launches (LOCO_CUDA_PDL=1 on compute
// capability 9.0 or later; read at the backend's start: a value other than 0 or 1 stops it).
bool k_pdl_on();
// Sets it (true: where the GPU supports it) instead of the variable, for the launches after this call.
void k_pdl_enable(bool on);
// out[i, :] = E[x[i], :]
void k_embed_forward(float* out, const float* E, const int* x, int N, int d);
// dE[tok, :] += Σ_{p in positions of tok} dres[p, :], positions grouped by token on the host
// (uniq[U] tokens; pos[starts[u] .. starts[u+1])), summed in a fixed order: deterministic.
void k_embed_backward(float* dE, const float* dres, const int* uniq, const int* starts, const int* pos, int U, int d);
// out = x · rstd ⊙ g (rows of C), rstd saved. One warp per row (float4 loads when C % 4 == 0).
template <typename T>
void k_rmsnorm_forward(T* out, float* rstd, const float* x, const float* g, int N, int C, float eps);
// dres += r·g⊙dy − (r³/C)·(Σ g·dy·x)·x (overwrite: dres = 0 + …, no read; the same bits as a zeroed
// dres) ; dres_act = (T)dres (the next matmuls' input); and the
// norm-scale gradient dg[j] += Σ_rows dy·x·rstd (dg_overwrite: dg[j] = Σ…, for the first backward
// after zero_grad), summed in a fixed order (per-block partials in scratch[rmsnorm_dg_scratch(N, C)],
// then the blocks in order: deterministic, no atomics). One pass over dy and x when C % 4 == 0 (the
// partials are accumulated by the backward kernel itself). Returns the number of partial rows in
// scratch; dg null: they are left there for k_rmsnorm_dg_reduce_many, and dg_overwrite is unused.
// DY: float, or bf16 with bf16 activations (T = bf16, LOCO_CUDA_NORM_DY=bf16).
template <typename T, typename DY>
unsigned k_rmsnorm_backward(float* dres, T* dres_act, float* dg, float* scratch, const DY* dy, const float* x,
                            const float* g, const float* rstd, int N, int C, bool overwrite = false,
                            bool dg_overwrite = false);
size_t rmsnorm_dg_scratch(int N, int C);
// The norm-scale gradients of count k_rmsnorm_backward calls made with dg null, in one launch: the
// partials of call y (chunks rows of C, at scratch + y·part_stride) added into G + dg_off[y] (dg_off in
// device memory), the same sums in the same order as the calls' own reduce.
void k_rmsnorm_dg_reduce_many(float* G, const size_t* dg_off, const float* scratch, size_t part_stride, int count,
                              unsigned chunks, int C, bool dg_overwrite);
// RoPE in place on the q and k parts of qkv[B,T,3·d] (inverse rotation for the backward).
template <typename T>
void k_rope(T* qkv, const float* cs, const float* sn, int B, int Tn, int H, int hd, bool inverse);
// s = silu(g)·u with gu[N, 2F] = [g | u] per row
template <typename T>
void k_swiglu_forward(T* s, const T* gu, int N, int F);
template <typename T>
void k_swiglu_backward(T* dgu, const T* ds, const T* gu, int N, int F);
// The attention backward's D[(b·H + h)·T + t] = Σ_c dy·y over head h's values of row (b, t) (y, dy:
// [B, T, H·hd]) with 16-byte loads; false (nothing launched) when hd or the alignment does not allow it.
template <typename T>
bool k_attention_bwd_pre_vec(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd);
// Cross-entropy over rows of logits[R, Vp] (the first V columns take part): row_loss = lse − logit[y];
// when dlogits is set it receives (softmax − onehot(y))·scale for j < V and 0 for V ≤ j < Vp.
template <typename T>
void k_crossentropy(const float* logits, T* dlogits, float* row_loss, const int* y, int R, int V, int Vp, float scale);
// The same over bf16 logits (the bf16-precision default; LOCO_CUDA_LOGITS=fp32 keeps fp32 logits):
// fp32 arithmetic on the bf16 values.
template <typename T>
void k_crossentropy(const bf16* logits, T* dlogits, float* row_loss, const int* y, int R, int V, int Vp, float scale);
// AdamW on one tensor, the exact formulae of adamw.cpp (no fused multiply-add); pcopy (optional)
// receives the bf16 copy of the new parameters.
void k_adamw(float* p, const float* g, float* m, float* v, bf16* pcopy, size_t n, float lr, float beta1, float beta2,
             float eps, float weight_decay, float grad_scale, float bc1, float bc2);
// The same on n elements (a multiple of 4, 16-byte aligned) of several tensors in one launch: piece i
// (elements 4i…4i+3) takes weight_decay where bit i of decay_bits (device memory) is set, else 0.
// false, with nothing launched, where n or a pointer does not fit.
bool k_adamw_pieces(float* p, const float* g, float* m, float* v, bf16* pcopy, const unsigned* decay_bits, size_t n,
                    float lr, float beta1, float beta2, float eps, float weight_decay, float grad_scale, float bc1,
                    float bc2);
// Σ x² in double: per-block partials (fixed grid of SUMSQ_BLOCKS), summed on the host in order.
constexpr int SUMSQ_BLOCKS = 1024;
void k_sum_squares(double* partial, const float* x, size_t n);
void k_to_bf16(bf16* dst, const float* src, size_t n);
void k_axpy(float* p, const float* u, float alpha, size_t n);  // p = fl(p + fl(alpha·u)), no FMA
void k_gather(float* out, const float* p, const uint64_t* idx, size_t n);
