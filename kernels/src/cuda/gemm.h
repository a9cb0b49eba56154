// Matrix multiplies of the CUDA backend, row-major like ops.h's gemm:
//   C[M,N] = alpha·op(A)·op(B) + beta·C      (op = transpose when the flag is set)
// A and B share one element type (fp32 or bf16), C is fp32 or bf16; accumulation is always fp32.
// Two implementations: cuBLASLt, loaded at run time with dlopen (bf16 tensor cores), and our own
// tiled fp32-accumulating kernel (always available; the fp32 precision mode uses it for every
// matmul so the parity check against the CPU engine is tight, and it is the fallback when
// libcublasLt cannot be loaded or has no algorithm for a shape).
#pragma once
#include <cstddef>
#include <string>

enum class DType { F32, BF16 };

// Loads libcublasLt (once). Returns false (and why) when it is not available.
bool gemm_lt_load(std::string* why);
// "cublasLt <version>" or "none".
std::string gemm_lt_describe();
// How many of cuBLASLt's heuristic candidates each matmul shape times at its first call, keeping the
// fastest: 8, or LOCO_CUDA_GEMM_TUNE_ALGOS (2–64; another value throws).
int gemm_tune_algos();

struct GemmOpts {
  bool use_lt = true;  // false: always our own kernel
};

// C_in (optional): the addend read instead of C, same type and leading dimension as C, so that
// C = alpha·op(A)·op(B) + beta·C_in writes a new buffer (a residual add without a copy). It may
// equal C; it must not otherwise overlap C.
void gemm(bool tA, bool tB, int M, int N, int K, const void* A, int lda, const void* B, int ldb, void* C, int ldc,
          DType ab, DType c, float alpha, float beta, const GemmOpts& o, const void* C_in = nullptr);
