// Shared helpers of the CUDA backend: error checks (every launch is followed by CUDA_LAUNCH_CHECK),
// bf16/fp32 conversions and warp reductions.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "engine_stream.h"

typedef __nv_bfloat16 bf16;

[[noreturn]] void cuda_fail(cudaError_t e, const char* what, const char* file, int line);

#define CUDA_CHECK(call)                                          \
  do {                                                            \
    cudaError_t e_ = (call);                                      \
    if (e_ != cudaSuccess) cuda_fail(e_, #call, __FILE__, __LINE__); \
  } while (0)
// After every kernel launch: launch-configuration errors surface here, asynchronous faults at the
// next synchronising call (LOCO_CUDA_SYNC=1 synchronises after every launch to pin them down).
#define CUDA_LAUNCH_CHECK(name) cuda_launch_check(name, __FILE__, __LINE__)
void cuda_launch_check(const char* name, const char* file, int line);

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(bf16 x) { return __bfloat162float(x); }
template <typename T>
__device__ __forceinline__ T from_f(float x);
template <>
__device__ __forceinline__ float from_f<float>(float x) { return x; }
template <>
__device__ __forceinline__ bf16 from_f<bf16>(float x) { return __float2bfloat16_rn(x); }

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// The current device's compute capability as major·10 + minor (90: H100, H200; 80: A100); 0 if
// unknown (cuda_backend.cu).
int cuda_device_cc();
// Whether the sm_90a-only kernels (the wgmma attention) can run here: this build has sm_90a code
// (the Makefile's CUDA_ARCH list) and the device is compute capability 9.0 (cuda_backend.cu).
bool cuda_wgmma_here();

static inline unsigned cdiv(size_t a, size_t b) { return (unsigned)((a + b - 1) / b); }
// An opt-in switch: environment variable `name` is set to exactly `value` (callers read it once).
static inline bool env_is(const char* name, const char* value) {
  const char* v = getenv(name);
  return v && std::string(v) == value;
}
// ... not set, or set to the empty string (its default applies)
static inline bool env_unset(const char* name) {
  const char* v = getenv(name);
  return !v || !*v;
}
// Whether the variable NAME picks OTHER instead of the default (DEFAULT, or unset); read once, at the
// backend's start: another value stops it.
static inline bool env_picks(const char* name, const char* default_value, const char* other) {
  const char* v = getenv(name);
  if (!v || !*v || std::string(v) == default_value) return false;
  if (std::string(v) == other) return true;
  throw std::runtime_error(std::string(name) + " must be " + default_value + " or " + other + ", not \"" + v + "\"");
}
// A count the variable NAME sets, from LO to HI (FALLBACK where it is unset or empty); read once, at
// the backend's start: another value stops it ("NAME must be a count[ of WHAT] from LO to HI").
static inline long long env_count(const char* name, long long lo, long long hi, long long fallback,
                                  const char* of_what = "") {
  const char* v = getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long long n = strtoll(v, &end, 10);
  if (*end || n < lo || n > hi)
    throw std::runtime_error(std::string(name) + " must be a count" + of_what + " from " + std::to_string(lo) + " to " +
                             std::to_string(hi) + ", not \"" + v + "\"");
  return n;
}

// Programmatic dependent launch (LOCO_CUDA_PDL=1, compute capability 9.0 or later; kernels.cu's
// launch()): a kernel so launched may be scheduled before the kernel ahead of it in the stream has
// finished. So every kernel of kernels.cu calls this first, before any memory access: it waits until
// that kernel has completed and its writes are visible, then lets the next kernel's blocks be scheduled
// as this one's blocks finish (they wait here in turn). Launched the usual way, both return at once.
__device__ __forceinline__ void pdl_begin() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// A kernel launched with more than 48 KB of dynamic shared memory must first raise its limit.
template <typename K>
void set_dynamic_smem(K kernel, size_t bytes) {
  if (bytes > 48 * 1024) CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
}
