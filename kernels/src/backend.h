// The seam for compute backends. main.cpp (the protocol, data, checkpoints, schedule) talks only to
// this interface; cpu_backend.cpp implements it with OpenMP + BLAS, cuda/cuda_backend.cu (built by
// `make cuda`, docs/cuda.md) with CUDA, keeping parameters and optimizer state on the device and
// exchanging canonical fp32 host copies through read_*/write_*. Chosen at start-up (--device).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config.h"

struct AdamWHyper {
  float beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual std::string describe() const = 0;  // e.g. threads, BLAS
  // Allocates parameters (zeroed), gradients and optimizer state (zeroed) for cfg.
  virtual void configure(const Config& cfg) = 0;
  virtual void init_params(uint64_t seed) = 0;
  virtual size_t num_params() const = 0;

  virtual void zero_grad() = 0;
  // Forward + backward on one micro-batch x,y [B,T]; gradients of loss_scale·Σ token losses are
  // accumulated. Returns Σ token losses.
  virtual double forward_backward(const int* x, const int* y, int B, int T, float loss_scale) = 0;
  // Forward only; returns Σ token losses.
  virtual double forward_loss(const int* x, const int* y, int B, int T) = 0;
  virtual double grad_norm_sq() = 0;
  // One AdamW step on every tensor (weight decay on 2-D tensors only); gradients are multiplied by
  // grad_scale first (clipping). t = 1-based optimizer step.
  virtual void optimizer_step(const AdamWHyper& h, float lr, float grad_scale, long t) = 0;

  // Canonical-order fp32 host copies.
  virtual void read_params(float* dst) = 0;
  // The accumulated gradients (for the GPU parity tool).
  virtual void read_grads(float* dst) = 0;
  virtual void write_params(const float* src) = 0;
  virtual void read_optimizer(float* m, float* v) = 0;
  virtual void write_optimizer(const float* m, const float* v) = 0;  // null, null = zero
  // θ += alpha·u (dense); θ[idx[i]] += alpha·val[i] (sparse, duplicates accumulate in order).
  virtual void add_dense(float alpha, const float* u) = 0;
  virtual void add_sparse(float alpha, const uint32_t* idx, const float* val, size_t n) = 0;
  virtual void gather_params(const uint64_t* idx, size_t n, float* out) = 0;
};

std::unique_ptr<Backend> make_cpu_backend();
