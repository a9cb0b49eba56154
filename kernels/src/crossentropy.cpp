// Softmax cross-entropy over the real vocabulary (the logits buffer holds only the first
// vocab_size columns; padded embedding rows take no part, docs/model.md).
#include <cmath>

#include "fastmath.h"
#include "ops.h"

template <typename T>
double crossentropy_forward(T* logits, T* row_loss, const int* targets, int N, int V) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    T* l = logits + (size_t)i * V;
    const T ly = l[targets[i]];
    T mx = l[0];
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < V; j++) mx = l[j] > mx ? l[j] : mx;
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < V; j++) {
      const T e = vexp<T>(l[j] - mx);
      l[j] = e;
      sum += e;
    }
    row_loss[i] = (T)(std::log((double)sum) + (double)mx - (double)ly);
    const T inv = (T)(1.0 / sum);
#pragma omp simd
    for (int j = 0; j < V; j++) l[j] *= inv;
  }
  double total = 0;
  for (int i = 0; i < N; i++) total += row_loss[i];
  return total;
}

template <typename T>
void crossentropy_backward(T* probs, const int* targets, int N, int V, T scale) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    T* p = probs + (size_t)i * V;
    for (int j = 0; j < V; j++) p[j] *= scale;
    p[targets[i]] -= scale;
  }
}

template double crossentropy_forward<float>(float*, float*, const int*, int, int);
template double crossentropy_forward<double>(double*, double*, const int*, int, int);
template void crossentropy_backward<float>(float*, const int*, int, int, float);
template void crossentropy_backward<double>(double*, const int*, int, int, double);
