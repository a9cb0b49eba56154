// SwiGLU gate: out = silu(g) ⊙ u, silu(z) = z·σ(z).
#include <cmath>

#include "fastmath.h"
#include "ops.h"

template <typename T>
void swiglu_forward(T* out, const T* g, const T* u, size_t n) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) {
    const T sg = T(1) / (T(1) + vexp<T>(-g[i]));
    out[i] = g[i] * sg * u[i];
  }
}

template <typename T>
void swiglu_backward(T* dg, T* du, const T* dout, const T* g, const T* u, size_t n) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) {
    const T sg = T(1) / (T(1) + vexp<T>(-g[i]));
    const T silu = g[i] * sg;
    du[i] = dout[i] * silu;
    dg[i] = dout[i] * u[i] * sg * (T(1) + g[i] * (T(1) - sg));
  }
}

template void swiglu_forward<float>(float*, const float*, const float*, size_t);
template void swiglu_forward<double>(double*, const double*, const double*, size_t);
template void swiglu_backward<float>(float*, float*, const float*, const float*, const float*, size_t);
template void swiglu_backward<double>(double*, double*, const double*, const double*, const double*, size_t);
