// Matrix multiply. With OpenBLAS (LOCO_OPENBLAS, the default build when libopenblas is present)
// this calls cblas_sgemm / cblas_dgemm; otherwise a cache-blocked, OpenMP-parallel kernel whose
// inner loop the compiler vectorises. Measured numbers: docs/benchmarks.md.
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

// Fallback: pack op(A) into Ap[M,K] and op(B) into Bp[K,N] (row-major), then C = αAp·Bp + βC,
// blocked over K and N with the i-k-j order so the innermost loop is a contiguous axpy.
template <typename T>
void gemm_builtin(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb, T beta,
                  T* C, int ldc) {
  std::vector<T> Ap, Bp;
  const T* a = A;
  int la = lda;
  if (ta) {
    Ap.resize((size_t)M * K);
    for (int k = 0; k < K; k++)
      for (int i = 0; i < M; i++) Ap[(size_t)i * K + k] = A[(size_t)k * lda + i];
    a = Ap.data();
    la = K;
  }
  const T* b = B;
  int lb = ldb;
  if (tb) {
    Bp.resize((size_t)K * N);
    const int BS = 64;
#pragma omp parallel for schedule(static)
    for (int n0 = 0; n0 < N; n0 += BS)
      for (int k0 = 0; k0 < K; k0 += BS)
        for (int n = n0; n < std::min(N, n0 + BS); n++)
          for (int k = k0; k < std::min(K, k0 + BS); k++) Bp[(size_t)k * N + n] = B[(size_t)n * ldb + k];
    b = Bp.data();
    lb = N;
  }
  const int NB = 256, KB = 128;
#pragma omp parallel
  {
    std::vector<T> acc(NB);
#pragma omp for schedule(static)
    for (int i = 0; i < M; i++) {
      T* c = C + (size_t)i * ldc;
      for (int n0 = 0; n0 < N; n0 += NB) {
        const int nn = std::min(NB, N - n0);
        std::fill(acc.begin(), acc.begin() + nn, T(0));
        for (int k0 = 0; k0 < K; k0 += KB) {
          const int kk = std::min(KB, K - k0);
          for (int k = k0; k < k0 + kk; k++) {
            const T av = a[(size_t)i * la + k];
            const T* brow = b + (size_t)k * lb + n0;
            T* __restrict__ ac = acc.data();
#pragma omp simd
            for (int n = 0; n < nn; n++) ac[n] += av * brow[n];
          }
        }
        if (beta == T(0))
          for (int n = 0; n < nn; n++) c[n0 + n] = alpha * acc[n];
        else
          for (int n = 0; n < nn; n++) c[n0 + n] = alpha * acc[n] + beta * c[n0 + n];
      }
    }
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
  gemm_builtin<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
