// The whole model (docs/model.md): parameters, gradients, saved activations, forward and backward.
// Templated on the scalar type so the gradient check can run it in double.
#pragma once
#include <cstdint>
#include <vector>

#include "config.h"

// The initial parameters from a 64-bit seed (SplitMix64 → Box–Muller, docs/trainer-protocol.md,
// "Initialisation") into p (layout order): the CPU model and the CUDA backend (on the host) share it,
// so init gives the same bits on every device.
template <typename T>
void init_parameters(T* p, const std::vector<TensorInfo>& layout, const Config& cfg, uint64_t seed);

template <typename T>
struct Model {
  Config cfg;
  std::vector<TensorInfo> layout;
  size_t P = 0;
  std::vector<T> params, grads;

  void setup(const Config& c);  // allocates params (zero) and grads
  // Deterministic init from a 64-bit seed (SplitMix64 → Box–Muller), docs/trainer-protocol.md.
  void init_params(uint64_t seed);
  void zero_grad();
  // Forward over x,y [B,Tn]; returns Σ of per-token losses (divide by B·Tn for the mean).
  // Keeps the activations the backward needs.
  double forward(const int* x, const int* y, int B, int Tn);
  // Accumulates into grads the gradient of (scale · Σ token losses) of the last forward.
  void backward(const int* x, const int* y, T scale);

  // Per-layer parameter pointers.
  struct Layer { T *attn_norm, *wq, *wk, *wv, *wo, *mlp_norm, *wg, *wu, *wd; };
  Layer layer(std::vector<T>& base, int l);
  T* embed(std::vector<T>& base) { return base.data(); }
  T* final_norm(std::vector<T>& base) { return base.data() + layout.back().offset; }

 private:
  int B_ = 0, T_ = 0;
  void ensure(int B, int Tn);
  // activations (per layer blocks of BT·d etc.)
  std::vector<T> res, res_mid, a, arstd, q, k, v, att, atty, m, mrstd, g, u, s, hf, frstd, logits, lse, row_loss;
  // backward scratch
  std::vector<T> dres, dhf, ds, dg, du, dm, datty, dq, dk, dv, da;
};
