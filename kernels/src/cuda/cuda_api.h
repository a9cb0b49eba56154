// Entry points of the CUDA backend for main.cpp and the GPU tools (only in builds with LOCO_CUDA).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../backend.h"

// True when the CUDA runtime finds a device this build can run on; otherwise why not, and in
// *gpu_found whether there was a GPU at all (one this build has no code for, or too old: worth a
// note when --device auto falls back to the CPU).
bool cuda_device_present(std::string* why, bool* gpu_found = nullptr);
// precision: "fp32" or "bf16"; "" = $LOCO_CUDA_PRECISION, default bf16. Throws when no device.
std::unique_ptr<Backend> make_cuda_backend(const std::string& precision = "");
// Bytes the backend holds in device buffers now, and the most it held at once.
size_t cuda_allocated_bytes();
size_t cuda_allocated_peak_bytes();
// Per-category GPU time of forward/backward passes (matmul, attention, norm, …) while enabled: for
// benchmarks only (it adds a synchronisation per pass). take() returns the sums and clears them.
void cuda_profile_enable(bool on);
std::vector<std::pair<std::string, double>> cuda_profile_take();
// CUDA graphs of the training step (step_graph.h): on where LOCO_CUDA_GRAPH=1, or as set here (a
// test compares the same steps with and without). Never while profiling or with LOCO_CUDA_SYNC=1.
void cuda_graph_enable(bool on);
bool cuda_graph_enabled();
// Programmatic dependent launch of the element-wise kernels (kernels.cu): on where LOCO_CUDA_PDL=1 on
// compute capability 9.0 or later, or as set here (gpu-parity compares the same steps both ways). Read
// by each launch: set it between steps, not while one is queued or captured.
void cuda_pdl_enable(bool on);
bool cuda_pdl_on();
// How many steps were captured and launched as graphs, and how many captures failed (and why).
struct CudaGraphStats {
  long captured = 0, launched = 0, failed = 0;
  std::string last_failure;
};
CudaGraphStats cuda_graph_stats();
