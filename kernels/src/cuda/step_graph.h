// CUDA graphs of the training step (LOCO_CUDA_GRAPH=1; docs/cuda.md, "CUDA graphs"). A gpt2-124m step
// is about 380 launches of 10–150 µs each; the host's time to issue them (cuBLASLt's and cuDNN's calls
// most of all) and the gap between two launches add up to a few ms per step (h200-8: the kernels
// alone summed to 2.4 ms less than the step). A graph issues the whole step with one call.
//
// What a graph holds is fixed at capture: every address, size and scalar. So a step is keyed by what
// may differ between calls (StepKey), it is captured at its second call with that key — the first
// runs eagerly and makes every lazy thing (cuDNN plans, matmul tuning, scratch buffers, shared-memory
// limits), which cannot happen inside a capture — and captured again after any device buffer it may
// have used was freed (engine_buffer_epoch). A capture that fails (a library call that cannot be
// captured) is said once on stderr and its key runs eagerly from then on.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>

#include "cuda_api.h"
#include "engine_stream.h"

// One micro-batch's step as a graph sees it: the batch shape, forward only or with the backward,
// whether the backward overwrites the gradients (the first micro-batch after zero_grad) or adds to
// them, and the loss scale (a kernel argument).
struct StepKey {
  int B = 0, Tn = 0;
  bool grad = false, overwrite = false;
  float loss_scale = 0.f;
  std::tuple<int, int, bool, bool, uint32_t> tie() const {
    uint32_t bits;
    std::memcpy(&bits, &loss_scale, 4);
    return std::make_tuple(B, Tn, grad, overwrite, bits);
  }
  bool operator<(const StepKey& o) const { return tie() < o.tie(); }
};

// The process's counts (cuda_api.h: cuda_graph_stats)
inline CudaGraphStats& step_graph_stats() {
  static CudaGraphStats s;
  return s;
}

class StepGraphs {
 public:
  StepGraphs() = default;
  StepGraphs(const StepGraphs&) = delete;
  StepGraphs& operator=(const StepGraphs&) = delete;
  ~StepGraphs() { clear(); }
  void clear() {
    for (auto& kv : m_)
      if (kv.second.exec) cudaGraphExecDestroy(kv.second.exec);
    m_.clear();
  }

  // Queues the step on the engine's stream: enqueue() itself (graphs off, its first call, or a key
  // whose capture failed), or the graph of it.
  template <typename F>
  void run(const StepKey& k, bool on, F&& enqueue) {
    if (!on) {
      enqueue();
      return;
    }
    Entry& e = m_[k];
    if (e.failed) {
      enqueue();
      return;
    }
    const unsigned long now = engine_buffer_epoch();
    if (e.exec && e.epoch != now) {  // a buffer it used was freed: capture again, after an eager run
      cudaGraphExecDestroy(e.exec);
      e.exec = nullptr;
    }
    if (e.exec) {
      launch(e.exec);
      return;
    }
    if (!e.warm || e.epoch != now) {
      enqueue();
      e.warm = true;
      e.epoch = engine_buffer_epoch();
      return;
    }
    std::string why;
    cudaGraphExec_t exec = capture(enqueue, &why);
    if (!exec) {
      e.failed = true;
      CudaGraphStats& st = step_graph_stats();
      st.failed++;
      st.last_failure = why;
      fprintf(stderr, "loco-engine: CUDA graph of the step not used for B %d, T %d (%s; launched kernel by kernel): %s\n",
              k.B, k.Tn, k.grad ? "forward and backward" : "forward", why.c_str());
      enqueue();  // nothing of the failed capture ran
      return;
    }
    e.exec = exec;
    step_graph_stats().captured++;
    launch(exec);
  }

 private:
  struct Entry {
    cudaGraphExec_t exec = nullptr;
    unsigned long epoch = 0;  // engine_buffer_epoch() when it last ran eagerly (and so when captured)
    bool warm = false, failed = false;
  };
  std::map<StepKey, Entry> m_;

  static void launch(cudaGraphExec_t exec) {
    const cudaError_t err = cudaGraphLaunch(exec, engine_stream());
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw std::runtime_error(std::string("cudaGraphLaunch: ") + cudaGetErrorString(err));
    }
    step_graph_stats().launched++;
  }

  // Records enqueue() into a graph and instantiates it; nullptr and *why when it cannot. Thread-local
  // mode: a call of this thread that is unsafe while capturing (cudaMalloc, a synchronisation) fails
  // the capture instead of running.
  template <typename F>
  static cudaGraphExec_t capture(F&& enqueue, std::string* why) {
    const cudaStream_t s = engine_stream();
    const unsigned long before = engine_buffer_epoch();
    cudaError_t err = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess) {
      cudaGetLastError();
      *why = std::string("cudaStreamBeginCapture: ") + cudaGetErrorString(err);
      return nullptr;
    }
    try {
      enqueue();
    } catch (const std::exception& ex) {
      *why = ex.what();
    }
    cudaGraph_t g = nullptr;
    err = cudaStreamEndCapture(s, &g);
    if (why->empty() && err != cudaSuccess) *why = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(err);
    if (why->empty() && engine_buffer_epoch() != before) *why = "a device buffer was freed while capturing";
    cudaGraphExec_t exec = nullptr;
    if (why->empty()) {
      err = cudaGraphInstantiate(&exec, g, 0);
      if (err != cudaSuccess) {
        *why = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(err);
        exec = nullptr;
      }
    }
    if (g) cudaGraphDestroy(g);
    cudaGetLastError();  // a failed capture's error is not sticky: clear it for the eager run
    return why->empty() ? exec : nullptr;
  }
};
