// The small part of cuDNN's backend (graph) API that the cuDNN attention uses, declared here because
// the development machines have no cuDNN headers; libcudnn.so.9 is loaded with dlopen at run time.
// Values copied from cudnn_graph.h (cuDNN 9); kernels/test/cudnn_abi_check.cpp static_asserts them
// against the real header (test/kernels-cudnn-abi.test.ts takes it from the cuDNN wheel in this
// machine's local Python package index; gpu-check.sh's cudnn_abi_check where cuDNN is installed).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dnn {

typedef int Status;  // cudnnStatus_t; 0 = CUDNN_STATUS_SUCCESS
typedef struct cudnnContext* Handle;
typedef void* Desc;  // cudnnBackendDescriptor_t

// cudnnBackendDescriptorType_t
enum DescType : int {
  POINTWISE_DESCRIPTOR = 0,
  ENGINE_DESCRIPTOR = 2,
  ENGINECFG_DESCRIPTOR = 3,
  ENGINEHEUR_DESCRIPTOR = 4,
  EXECUTION_PLAN_DESCRIPTOR = 5,
  OPERATION_POINTWISE_DESCRIPTOR = 13,
  OPERATIONGRAPH_DESCRIPTOR = 15,
  VARIANT_PACK_DESCRIPTOR = 16,
  TENSOR_DESCRIPTOR = 17,
  MATMUL_DESCRIPTOR = 18,
  OPERATION_MATMUL_DESCRIPTOR = 19,
  REDUCTION_DESCRIPTOR = 21,
  OPERATION_REDUCTION_DESCRIPTOR = 22,
  OPERATION_RESHAPE_DESCRIPTOR = 31,
};
// cudnnBackendAttributeType_t
enum AttrType : int {
  TYPE_HANDLE = 0,
  TYPE_DATA_TYPE = 1,
  TYPE_BOOLEAN = 2,
  TYPE_INT64 = 3,
  TYPE_FLOAT = 4,
  TYPE_VOID_PTR = 6,
  TYPE_HEUR_MODE = 8,
  TYPE_NUMERICAL_NOTE = 11,
  TYPE_POINTWISE_MODE = 14,
  TYPE_BACKEND_DESCRIPTOR = 15,
  TYPE_REDUCTION_OPERATOR_TYPE = 18,
  TYPE_CHAR = 24,
};
// cudnnBackendAttributeName_t
enum AttrName : int {
  ATTR_POINTWISE_MODE = 0,
  ATTR_POINTWISE_MATH_PREC = 1,
  ATTR_POINTWISE_AXIS = 9,
  ATTR_ENGINEHEUR_MODE = 200,
  ATTR_ENGINEHEUR_OPERATION_GRAPH = 201,
  ATTR_ENGINEHEUR_RESULTS = 202,
  ATTR_ENGINECFG_ENGINE = 300,
  ATTR_EXECUTION_PLAN_HANDLE = 400,
  ATTR_EXECUTION_PLAN_ENGINE_CONFIG = 401,
  ATTR_EXECUTION_PLAN_WORKSPACE_SIZE = 402,
  ATTR_EXECUTION_PLAN_JSON_REPRESENTATION = 405,
  ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR = 750,
  ATTR_OPERATION_POINTWISE_XDESC = 751,
  ATTR_OPERATION_POINTWISE_BDESC = 752,
  ATTR_OPERATION_POINTWISE_YDESC = 753,
  ATTR_OPERATION_POINTWISE_TDESC = 758,
  ATTR_OPERATIONGRAPH_HANDLE = 800,
  ATTR_OPERATIONGRAPH_OPS = 801,
  ATTR_TENSOR_BYTE_ALIGNMENT = 900,
  ATTR_TENSOR_DATA_TYPE = 901,
  ATTR_TENSOR_DIMENSIONS = 902,
  ATTR_TENSOR_STRIDES = 903,
  ATTR_TENSOR_UNIQUE_ID = 906,
  ATTR_TENSOR_IS_VIRTUAL = 907,
  ATTR_TENSOR_IS_BY_VALUE = 908,
  ATTR_VARIANT_PACK_UNIQUE_IDS = 1000,
  ATTR_VARIANT_PACK_DATA_POINTERS = 1001,
  ATTR_VARIANT_PACK_WORKSPACE = 1003,
  ATTR_ENGINE_GLOBAL_INDEX = 1301,
  ATTR_ENGINE_NUMERICAL_NOTE = 1303,
  ATTR_MATMUL_COMP_TYPE = 1500,
  ATTR_OPERATION_MATMUL_ADESC = 1520,
  ATTR_OPERATION_MATMUL_BDESC = 1521,
  ATTR_OPERATION_MATMUL_CDESC = 1522,
  ATTR_OPERATION_MATMUL_DESC = 1523,
  ATTR_REDUCTION_OPERATOR = 1600,
  ATTR_REDUCTION_COMP_TYPE = 1601,
  ATTR_OPERATION_REDUCTION_XDESC = 1610,
  ATTR_OPERATION_REDUCTION_YDESC = 1611,
  ATTR_OPERATION_REDUCTION_DESC = 1612,
  ATTR_OPERATION_RESHAPE_XDESC = 2200,
  ATTR_OPERATION_RESHAPE_YDESC = 2201,
};
// cudnnDataType_t
enum DataType : int { DATA_FLOAT = 0, DATA_INT32 = 4, DATA_BFLOAT16 = 9, DATA_BOOLEAN = 11 };
// cudnnPointwiseMode_t
enum PointwiseMode : int {
  POINTWISE_ADD = 0,
  POINTWISE_MUL = 1,
  POINTWISE_DIV = 6,
  POINTWISE_SUB = 9,
  POINTWISE_EXP = 13,
  POINTWISE_LOG = 15,
  POINTWISE_IDENTITY = 21,
  POINTWISE_CMP_GE = 303,
  POINTWISE_GEN_INDEX = 501,
  POINTWISE_BINARY_SELECT = 601,
};
// cudnnReduceTensorOp_t
enum ReduceOp : int { REDUCE_TENSOR_ADD = 0, REDUCE_TENSOR_MAX = 3 };
// cudnnBackendHeurMode_t
enum HeurMode : int { HEUR_MODE_INSTANT = 0, HEUR_MODE_FALLBACK = 2, HEUR_MODE_A = 3 };
// cudnnBackendNumericalNote_t
enum NumericalNote : int { NUMERICAL_NOTE_NONDETERMINISTIC = 4 };

// the functions, as pointers filled by dlsym (cudnnStream_t is cudaStream_t: a pointer)
typedef Status (*CreateFn)(Handle*);
typedef Status (*DestroyFn)(Handle);
typedef Status (*SetStreamFn)(Handle, void*);
typedef size_t (*GetVersionFn)();
typedef const char* (*GetErrorStringFn)(Status);
typedef void (*GetLastErrorStringFn)(char*, size_t);
typedef Status (*BackendCreateDescriptorFn)(int, Desc*);
typedef Status (*BackendDestroyDescriptorFn)(Desc);
typedef Status (*BackendFinalizeFn)(Desc);
typedef Status (*BackendSetAttributeFn)(Desc, int, int, int64_t, const void*);
typedef Status (*BackendGetAttributeFn)(Desc, int, int, int64_t, int64_t*, void*);
typedef Status (*BackendExecuteFn)(Handle, Desc, Desc);

}  // namespace dnn
