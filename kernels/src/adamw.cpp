// AdamW (decoupled weight decay, PyTorch semantics):
//   g ← grad·grad_scale;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   θ ← θ − lr·wd·θ;  θ ← θ − lr · (m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε)
#include <cmath>
#include <vector>

#include "ops.h"

void adamw_update(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2, float eps,
                  float weight_decay, float grad_scale, long t) {
  const float bc1 = (float)(1.0 - std::pow((double)beta1, (double)t));
  const float bc2 = (float)(1.0 - std::pow((double)beta2, (double)t));
  const float decay = 1.0f - lr * weight_decay;
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i] * grad_scale;
    const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float mhat = mi / bc1;
    const float vhat = vi / bc2;
    p[i] = p[i] * decay - lr * mhat / (std::sqrt(vhat) + eps);
  }
}

double sum_squares(const float* x, size_t n) {
  const size_t CH = 1 << 16;
  const size_t nch = (n + CH - 1) / CH;
  std::vector<double> part(nch);
#pragma omp parallel for schedule(static)
  for (size_t c = 0; c < nch; c++) {
    const size_t lo = c * CH, hi = lo + CH < n ? lo + CH : n;
    double s = 0;
    for (size_t i = lo; i < hi; i++) s += (double)x[i] * x[i];
    part[c] = s;
  }
  double s = 0;
  for (double v : part) s += v;
  return s;
}
