// The small part of the cuBLASLt C API the engine uses, declared here because the development
// machines have no cuBLAS headers; the library is loaded with dlopen at run time. Values and
// layouts copied from cublasLt.h / cublas_api.h / library_types.h (CUDA 12–13); kernels/test/
// cublaslt_abi_check.cpp static_asserts them against the real headers where those exist
// (kernels/gpu-check.sh builds it on the GPU machine).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lt {

typedef int Status;  // cublasStatus_t; 0 = CUBLAS_STATUS_SUCCESS
typedef struct Context* Handle;
typedef struct MatmulDescOpaque* MatmulDesc;
typedef struct MatrixLayoutOpaque* MatrixLayout;
typedef struct MatmulPreferenceOpaque* MatmulPreference;

struct MatmulAlgo {
  uint64_t data[8];
};
struct MatmulHeuristicResult {
  MatmulAlgo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(MatmulHeuristicResult) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

// cudaDataType_t (library_types.h)
enum : int { R_32F = 0, R_16BF = 14 };
// cublasComputeType_t
enum : int { COMPUTE_32F = 68 };
// cublasOperation_t
enum : int { OP_N = 0, OP_T = 1 };
// cublasLtMatmulDescAttributes_t
enum : int { MATMUL_DESC_TRANSA = 3, MATMUL_DESC_TRANSB = 4 };
// cublasLtMatmulPreferenceAttributes_t
enum : int {
  PREF_MAX_WORKSPACE_BYTES = 1,
  PREF_MIN_ALIGNMENT_A_BYTES = 5,
  PREF_MIN_ALIGNMENT_B_BYTES = 6,
  PREF_MIN_ALIGNMENT_C_BYTES = 7,
  PREF_MIN_ALIGNMENT_D_BYTES = 8
};

typedef Status (*CreateFn)(Handle*);
typedef Status (*DestroyFn)(Handle);
typedef size_t (*GetVersionFn)();
typedef Status (*MatmulDescCreateFn)(MatmulDesc*, int computeType, int scaleType);
typedef Status (*MatmulDescDestroyFn)(MatmulDesc);
typedef Status (*MatmulDescSetAttributeFn)(MatmulDesc, int attr, const void* buf, size_t size);
typedef Status (*MatrixLayoutCreateFn)(MatrixLayout*, int type, uint64_t rows, uint64_t cols, int64_t ld);
typedef Status (*MatrixLayoutDestroyFn)(MatrixLayout);
typedef Status (*MatmulPreferenceCreateFn)(MatmulPreference*);
typedef Status (*MatmulPreferenceDestroyFn)(MatmulPreference);
typedef Status (*MatmulPreferenceSetAttributeFn)(MatmulPreference, int attr, const void* buf, size_t size);
typedef Status (*MatmulAlgoGetHeuristicFn)(Handle, MatmulDesc, MatrixLayout A, MatrixLayout B, MatrixLayout C,
                                           MatrixLayout D, MatmulPreference, int requested,
                                           MatmulHeuristicResult* results, int* returned);
typedef Status (*MatmulFn)(Handle, MatmulDesc, const void* alpha, const void* A, MatrixLayout Adesc, const void* B,
                           MatrixLayout Bdesc, const void* beta, const void* C, MatrixLayout Cdesc, void* D,
                           MatrixLayout Ddesc, const MatmulAlgo* algo, void* workspace, size_t workspaceSize,
                           void* stream /* cudaStream_t */);

}  // namespace lt
