// Matrix multiply. With OpenBLAS (LOCO_OPENBLAS, the default build when libopenblas is present)
// this calls cblas_sgemm / cblas_dgemm; otherwise a packed, cache-blocked, register-blocked
// OpenMP kernel (below). Measured numbers: docs/benchmarks.md.
#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "ops.h"

#ifdef LOCO_OPENBLAS
#include <cblas.h>
#endif

const char* gemm_impl_name() {
#ifdef LOCO_OPENBLAS
  static std::string name = std::string("openblas/") + openblas_get_corename();
  return name.c_str();
#else
  return "builtin";
#endif
}

namespace {

// Fallback when no BLAS is linked. op(A) and op(B) are first packed row-major (Ap[M,K]; B into
// panels of NR = 32 columns, Bp[panel][k][32], zero-padded), then C = βC + α·Ap·Bp is computed
// with a 4×32 register-blocked micro-kernel (GCC vector extensions; AVX-512 with -march=native),
// K in blocks of KC so a panel stays in L2 while every row block of A streams past it. Threads
// split (panel, row chunk) pairs; each C element is written by one thread, in a fixed k order.
typedef float v16f __attribute__((vector_size(64)));
constexpr int NR = 32, MR = 4, KC = 256, MCHUNK = 64;

static inline v16f load16(const float* p) { v16f v; std::memcpy(&v, p, 64); return v; }
static inline void store16(float* p, v16f v) { std::memcpy(p, &v, 64); }

template <int R>
static void micro(const float* a, int la, const float* bp, int kk, float alpha, float* c, size_t rs, size_t cs, int ncols) {
  v16f acc[R][2];
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = v16f{} ;
  for (int k = 0; k < kk; k++) {
    const v16f b0 = load16(bp + (size_t)k * NR), b1 = load16(bp + (size_t)k * NR + 16);
    for (int r = 0; r < R; r++) {
      const float av = a[(size_t)r * la + k];
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
  }
  for (int r = 0; r < R; r++) {
    float tmp[NR];
    store16(tmp, acc[r][0]);
    store16(tmp + 16, acc[r][1]);
    float* cr = c + (size_t)r * rs;
    for (int j = 0; j < ncols; j++) cr[j * cs] += alpha * tmp[j];
  }
}

// C element (i, j) lives at C[i·rs + j·cs] (rs = ldc, cs = 1 normally; swapped for Cᵀ).
static void sgemm_packed(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                         int ldb, float beta, float* C, size_t rs, size_t cs) {
  // Packing buffers are reused across calls (one set per thread: attention calls gemm from inside
  // a parallel region): no zero-fill, no page faults after the first call of a size.
  // Inside the parallel loops below only the raw pointers are used (a thread_local named there
  // would be each worker thread's own, empty, buffer).
  static thread_local std::vector<float> Ap_buf, Bp_buf;
  const float* a = A;
  int la = lda;
  if (ta) {
    if (Ap_buf.size() < (size_t)M * K) Ap_buf.resize((size_t)M * K);
    float* Ap = Ap_buf.data();
    const int TB = 64;  // tiled transpose
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < M; i0 += TB)
      for (int k0 = 0; k0 < K; k0 += TB)
        for (int k = k0; k < std::min(K, k0 + TB); k++)
          for (int i = i0; i < std::min(M, i0 + TB); i++) Ap[(size_t)i * K + k] = A[(size_t)k * lda + i];
    a = Ap;
    la = K;
  }
  const int np = (N + NR - 1) / NR;
  if (Bp_buf.size() < (size_t)np * K * NR) Bp_buf.resize((size_t)np * K * NR);
  float* Bp = Bp_buf.data();
#pragma omp parallel for collapse(2) schedule(static)
  for (int p = 0; p < np; p++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < NR; j++) {
        const int n = p * NR + j;
        Bp[((size_t)p * K + k) * NR + j] = n < N ? (tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]) : 0.f;
      }
  {  // C ← βC, walking C in memory order
    const bool rows_major = cs == 1;
    const int outer = rows_major ? M : N, inner = rows_major ? N : M;
    const size_t so = rows_major ? rs : cs;
#pragma omp parallel for schedule(static)
    for (int o = 0; o < outer; o++) {
      float* c = C + (size_t)o * so;
      for (int q = 0; q < inner; q++) c[q] = beta == 0.f ? 0.f : beta * c[q];
    }
  }
  const int nchunks = (M + MCHUNK - 1) / MCHUNK;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kk = std::min(KC, K - k0);
#pragma omp parallel for collapse(2) schedule(static)
    for (int p = 0; p < np; p++)
      for (int ch = 0; ch < nchunks; ch++) {
        const float* bp = Bp + ((size_t)p * K + k0) * NR;
        const int ncols = std::min(NR, N - p * NR);
        const int i1 = std::min(M, (ch + 1) * MCHUNK);
        int i = ch * MCHUNK;
        for (; i + MR <= i1; i += MR) micro<MR>(a + (size_t)i * la + k0, la, bp, kk, alpha, C + i * rs + p * NR * cs, rs, cs, ncols);
        for (; i < i1; i++) micro<1>(a + (size_t)i * la + k0, la, bp, kk, alpha, C + i * rs + p * NR * cs, rs, cs, ncols);
      }
  }
}

static void sgemm_builtin(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                          int ldb, float beta, float* C, int ldc) {
  // Transposing a tall op(A) is the expensive packing step: compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead.
  if (ta && M > N) sgemm_packed(!tb, !ta, N, M, K, alpha, B, ldb, A, lda, beta, C, 1, (size_t)ldc);
  else sgemm_packed(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, (size_t)ldc, 1);
}

// Double precision (the gradient check only): straightforward triple loop.
static void dgemm_builtin(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda, const double* B,
                          int ldb, double beta, double* C, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = 0; k < K; k++) s += (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) * (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
      C[(size_t)i * ldc + j] = alpha * s + (beta == 0.0 ? 0.0 : beta * C[(size_t)i * ldc + j]);
    }
}

}  // namespace

template <typename T>
void gemm(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C,
          int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == T(0) ? T(0) : beta * C[(size_t)i * ldc + j];
    return;
  }
#ifdef LOCO_OPENBLAS
  if constexpr (std::is_same<T, float>::value) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
    return;
  } else {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
    return;
  }
#endif
  if constexpr (std::is_same<T, float>::value) sgemm_builtin(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else dgemm_builtin(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <typename T>
void linear_forward(T* out, const T* in, const T* W, int M, int N, int K) {
  gemm<T>(false, true, M, N, K, T(1), in, K, W, K, T(0), out, N);
}

template <typename T>
void linear_backward(T* din, T* dW, const T* dout, const T* in, const T* W, int M, int N, int K) {
  if (din) gemm<T>(false, false, M, K, N, T(1), dout, N, W, K, T(1), din, K);  // [M,N]·[N,K]
  gemm<T>(true, false, N, K, M, T(1), dout, N, in, K, T(1), dW, K);            // [N,M]·[M,K]
}

#define INST(T)                                                                                              \
  template void gemm<T>(bool, bool, int, int, int, T, const T*, int, const T*, int, T, T*, int);            \
  template void linear_forward<T>(T*, const T*, const T*, int, int, int);                                   \
  template void linear_backward<T>(T*, T*, const T*, const T*, const T*, int, int, int);
INST(float)
INST(double)
