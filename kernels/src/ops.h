// The per-op kernels (forward and backward), templated on the scalar type: the engine runs them in
// float, the gradient check in double. One concept per file: matmul.cpp, rmsnorm.cpp, rope.cpp,
// attention.cpp, swiglu.cpp, crossentropy.cpp, adamw.cpp. All tensors are row-major.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

// C[M,N] = alpha·op(A)·op(B) + beta·C (row-major; op = transpose when the flag is set).
template <typename T>
void gemm(bool transA, bool transB, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb, T beta,
          T* C, int ldc);
// out[M,N] = in[M,K]·W[N,K]ᵀ  (PyTorch Linear, no bias)
template <typename T>
void linear_forward(T* out, const T* in, const T* W, int M, int N, int K);
// din[M,K] += dout·W (skipped when din is null);  dW[N,K] += doutᵀ·in
template <typename T>
void linear_backward(T* din, T* dW, const T* dout, const T* in, const T* W, int M, int N, int K);
const char* gemm_impl_name();

// out = x / sqrt(mean(x²) + eps) ⊙ g over rows of C; rstd[N] saved for backward.
template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* x, const T* g, int N, int C, double eps);
// dx += …, dg += …
template <typename T>
void rmsnorm_backward(T* dx, T* dg, const T* dout, const T* x, const T* g, const T* rstd, int N, int C);

// In-place rotary embedding ("rotate half") on x[B,T,H·hd] (row stride H·hd); backward applies the
// inverse rotation to the gradient in place.
template <typename T>
void rope_forward(T* x, int B, int Tn, int H, int hd, double theta);
template <typename T>
void rope_backward(T* dx, int B, int Tn, int H, int hd, double theta);
// The rotation's tables for positions [0, Tn): cs[p·hd/2 + i] = cos(p·f_i), sn[…] = sin(p·f_i),
// f_i = theta^(−2i/hd), computed in double and rounded to T. The CUDA backend uploads the float ones,
// so both engines rotate by the same numbers.
template <typename T>
void rope_tables(int Tn, int hd, double theta, std::vector<T>& cs, std::vector<T>& sn);

// Causal softmax attention. q,k,v,out: [B,T,H·hd]; att: [B,H,T,T] (probabilities, saved).
template <typename T>
void attention_forward(T* out, T* att, const T* q, const T* k, const T* v, int B, int Tn, int H, int hd);
// dq, dk, dv are overwritten.
template <typename T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k, const T* v, int B,
                        int Tn, int H, int hd);

// Sequences at least this long use the per-head GEMM path (default 128; the tests use 0 and a huge
// value to check both paths).
void set_attention_gemm_min_T(int t);

// out = silu(g) ⊙ u
template <typename T>
void swiglu_forward(T* out, const T* g, const T* u, size_t n);
// dg, du overwritten
template <typename T>
void swiglu_backward(T* dg, T* du, const T* dout, const T* g, const T* u, size_t n);

// Cross-entropy over logits[N,V] (read only): lse[N] = logsumexp per row (kept for backward),
// row_loss[N] = lse − logit[target]; returns Σ row_loss (summed in a fixed order).
template <typename T>
double crossentropy_forward(const T* logits, T* lse, T* row_loss, const int* targets, int N, int V);
// logits (in place) → dlogits = (softmax − onehot(y))·scale
template <typename T>
void crossentropy_backward(T* logits, const T* lse, const int* targets, int N, int V, T scale);

// AdamW on one tensor (decoupled weight decay, bias-corrected, PyTorch semantics). grad_scale
// multiplies the gradient first (clipping). t = 1-based step number.
void adamw_update(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, float grad_scale, long t);
// Σ x² in double, in a fixed order (deterministic for any thread count).
double sum_squares(const float* x, size_t n);
