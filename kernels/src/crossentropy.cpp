// Softmax cross-entropy over the real vocabulary (the logits buffer holds only the first
// vocab_size columns; padded embedding rows take no part, docs/model.md).
// Memory-light: the forward only reads the logits (two passes per row: max, then Σexp) and keeps
// logsumexp per row; the backward turns the logits into dlogits in one read-write pass.
#include <cmath>

#include "fastmath.h"
#include "ops.h"

template <typename T>
double crossentropy_forward(const T* logits, T* lse, T* row_loss, const int* targets, int N, int V) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    const T* l = logits + (size_t)i * V;
    T mx = l[0];
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < V; j++) mx = l[j] > mx ? l[j] : mx;
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < V; j++) sum += vexp<T>(l[j] - mx);
    const double z = std::log((double)sum) + (double)mx;
    lse[i] = (T)z;
    row_loss[i] = (T)(z - (double)l[targets[i]]);
  }
  double total = 0;
  for (int i = 0; i < N; i++) total += row_loss[i];
  return total;
}

template <typename T>
void crossentropy_backward(T* logits, const T* lse, const int* targets, int N, int V, T scale) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    T* p = logits + (size_t)i * V;
    const T z = lse[i];
#pragma omp simd
    for (int j = 0; j < V; j++) p[j] = vexp<T>(p[j] - z) * scale;
    p[targets[i]] -= scale;
  }
}

template double crossentropy_forward<float>(const float*, float*, float*, const int*, int, int);
template double crossentropy_forward<double>(const double*, double*, double*, const int*, int, int);
template void crossentropy_backward<float>(float*, const float*, const int*, int, int, float);
template void crossentropy_backward<double>(double*, const double*, const int*, int, int, double);
