// GFLOP/s of the engine's gemm (whatever the build links: OpenBLAS or the built-in kernel) on a
// square 1024³ product and on the shapes a training step of the given config runs.
// Usage: bench-matmul [d d_ff vocab BT]   (prints one JSON line per shape)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ops.h"

static void bench(const char* name, bool ta, bool tb, int M, int N, int K) {
  std::vector<float> A((size_t)M * K, 0.01f), B((size_t)K * N, 0.02f), C((size_t)M * N, 0.f);
  const int lda = ta ? M : K, ldb = tb ? K : N;
  gemm<float>(ta, tb, M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);  // warm-up
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    auto t0 = std::chrono::steady_clock::now();
    gemm<float>(ta, tb, M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt < best) best = dt;
  }
  printf("{\"shape\":\"%s\",\"M\":%d,\"N\":%d,\"K\":%d,\"ms\":%.3f,\"gflops\":%.1f,\"impl\":\"%s\"}\n", name, M, N, K,
         best * 1e3, 2.0 * M * N * K / best / 1e9, gemm_impl_name());
}

int main(int argc, char** argv) {
  bench("square", false, true, 1024, 1024, 1024);
  if (argc >= 5) {
    const int d = atoi(argv[1]), f = atoi(argv[2]), V = atoi(argv[3]), BT = atoi(argv[4]);
    bench("qkvo fwd", false, true, BT, d, d);
    bench("mlp up fwd", false, true, BT, f, d);
    bench("mlp down fwd", false, true, BT, d, f);
    bench("logits fwd", false, true, BT, V, d);
    bench("logits dX", false, false, BT, d, V);
    bench("logits dW", true, false, V, d, BT);
  }
}
