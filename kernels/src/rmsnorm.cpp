// RMSNorm: y = x · rstd ⊙ g, rstd = 1/sqrt(mean(x²) + eps), over the last axis.
#include <cmath>

#include "ops.h"

template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* x, const T* g, int N, int C, double eps) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    const T* xi = x + (size_t)i * C;
    T* oi = out + (size_t)i * C;
    double ss = 0;
    for (int j = 0; j < C; j++) ss += (double)xi[j] * xi[j];
    const T r = (T)(1.0 / std::sqrt(ss / C + eps));
    rstd[i] = r;
    for (int j = 0; j < C; j++) oi[j] = xi[j] * r * g[j];
  }
}

// dx_j += r·g_j·dy_j − r³/C · x_j · Σ_k g_k·dy_k·x_k ;  dg_j += Σ_rows dy_j·x_j·r
template <typename T>
void rmsnorm_backward(T* dx, T* dg, const T* dout, const T* x, const T* g, const T* rstd, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    const T* xi = x + (size_t)i * C;
    const T* di = dout + (size_t)i * C;
    T* dxi = dx + (size_t)i * C;
    const T r = rstd[i];
    double dot = 0;
    for (int j = 0; j < C; j++) dot += (double)g[j] * di[j] * xi[j];
    const T coef = (T)(dot * (double)r * r * r / C);
    for (int j = 0; j < C; j++) dxi[j] += r * g[j] * di[j] - coef * xi[j];
  }
  // Parameter gradient: parallel over columns, rows summed in order (deterministic).
#pragma omp parallel for schedule(static)
  for (int j = 0; j < C; j++) {
    double acc = 0;
    for (int i = 0; i < N; i++) acc += (double)dout[(size_t)i * C + j] * x[(size_t)i * C + j] * rstd[i];
    dg[j] += (T)acc;
  }
}

template void rmsnorm_forward<float>(float*, float*, const float*, const float*, int, int, double);
template void rmsnorm_forward<double>(double*, double*, const double*, const double*, int, int, double);
template void rmsnorm_backward<float>(float*, float*, const float*, const float*, const float*, const float*, int, int);
template void rmsnorm_backward<double>(double*, double*, const double*, const double*, const double*, const double*, int,
                                       int);
