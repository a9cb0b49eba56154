// The GPU tools' check of a CUDA call they cannot go on without (build/wgmma-probe, build/wgmma-rate):
// on an error, the tool's one JSON object with the call and CUDA's message (fail_json), exit 1.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "gpu_tools_common.h"

#define TOOL_CUDA_CHECK(tool, x)                                                     \
  do {                                                                               \
    const cudaError_t e_ = (x);                                                      \
    if (e_ != cudaSuccess) fail_json(tool, std::string(#x) + ": " + cudaGetErrorString(e_)); \
  } while (0)
