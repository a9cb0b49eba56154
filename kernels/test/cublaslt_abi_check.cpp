// Checks src/cuda/cublaslt_shim.h (our own declarations of the cuBLASLt API, for machines without
// cuBLAS headers) against the real cublasLt.h: `make cublaslt-abi-check` where the headers exist
// (the GPU machines). A wrong enum value or struct layout would silently give garbage at run time.
#include <cublasLt.h>

#include <cstddef>
#include <cstdio>

#include "../src/cuda/cublaslt_shim.h"

static_assert(CUBLAS_STATUS_SUCCESS == 0, "status");
static_assert((int)CUDA_R_32F == lt::R_32F, "CUDA_R_32F");
static_assert((int)CUDA_R_16BF == lt::R_16BF, "CUDA_R_16BF");
static_assert((int)CUBLAS_COMPUTE_32F == lt::COMPUTE_32F, "CUBLAS_COMPUTE_32F");
static_assert((int)CUBLAS_OP_N == lt::OP_N && (int)CUBLAS_OP_T == lt::OP_T, "cublasOperation_t");
static_assert((int)CUBLASLT_MATMUL_DESC_TRANSA == lt::MATMUL_DESC_TRANSA, "TRANSA");
static_assert((int)CUBLASLT_MATMUL_DESC_TRANSB == lt::MATMUL_DESC_TRANSB, "TRANSB");
static_assert((int)CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES == lt::PREF_MAX_WORKSPACE_BYTES, "workspace");
static_assert((int)CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES == lt::PREF_MIN_ALIGNMENT_A_BYTES, "align A");
static_assert((int)CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES == lt::PREF_MIN_ALIGNMENT_B_BYTES, "align B");
static_assert((int)CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES == lt::PREF_MIN_ALIGNMENT_C_BYTES, "align C");
static_assert((int)CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES == lt::PREF_MIN_ALIGNMENT_D_BYTES, "align D");
static_assert(sizeof(cublasLtMatmulAlgo_t) == sizeof(lt::MatmulAlgo), "algo size");
static_assert(sizeof(cublasLtMatmulHeuristicResult_t) == sizeof(lt::MatmulHeuristicResult), "heuristic size");
static_assert(offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize) == offsetof(lt::MatmulHeuristicResult, workspaceSize), "ws offset");
static_assert(offsetof(cublasLtMatmulHeuristicResult_t, state) == offsetof(lt::MatmulHeuristicResult, state), "state offset");
static_assert(sizeof(cublasStatus_t) == sizeof(lt::Status), "status size");
// function signatures: our typedefs must accept the real functions (opaque handles are pointers)
static_assert(sizeof(cublasLtHandle_t) == sizeof(lt::Handle) && sizeof(cublasLtMatmulDesc_t) == sizeof(lt::MatmulDesc) &&
                  sizeof(cublasLtMatrixLayout_t) == sizeof(lt::MatrixLayout),
              "handles");

int main() {
  printf("{\"cublaslt_abi\":\"ok\",\"cublasLt_version\":%zu}\n", cublasLtGetVersion());
  return 0;
}
