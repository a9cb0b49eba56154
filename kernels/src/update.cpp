// See update.h. Built with -ffp-contract=off (Makefile).
#include "update.h"

void apply_dense_update(float* p, const float* u, float alpha, size_t n) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) p[i] = p[i] + alpha * u[i];
}

void apply_sparse_update(float* p, const uint32_t* idx, const float* val, size_t n, float alpha) {
  for (size_t i = 0; i < n; i++) p[idx[i]] = p[idx[i]] + alpha * val[i];
}
