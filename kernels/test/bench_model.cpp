// Times forward / backward / optimizer of Model<float> for a config; used while tuning.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "config.h"
#include "model.h"
#include "ops.h"

int main(int argc, char** argv) {
  int d = atoi(argv[1]), L = atoi(argv[2]), H = atoi(argv[3]), F = atoi(argv[4]), T = atoi(argv[5]), B = atoi(argv[6]);
  char buf[512];
  snprintf(buf, sizeof buf, "{\"vocab_size\":50257,\"padded_vocab_size\":50304,\"seq_len\":%d,\"d_model\":%d,\"n_layers\":%d,\"n_heads\":%d,\"d_ff\":%d}", T, d, L, H, F);
  Config cfg; std::string err;
  if (!config_from_json(Json::parse(buf), cfg, err)) { puts(err.c_str()); return 1; }
  Model<float> m; m.setup(cfg); m.init_params(1);
  std::vector<int> x(B * T), y(B * T);
  std::mt19937 r(1);
  for (auto& t : x) t = r() % 50257;
  for (auto& t : y) t = r() % 50257;
  auto now = [] { return std::chrono::steady_clock::now(); };
  int iters = getenv("ITERS") ? atoi(getenv("ITERS")) : 4;
  for (int it = 0; it < iters; it++) {
    auto t0 = now();
    m.zero_grad();
    auto t1 = now();
    double l = m.forward(x.data(), y.data(), B, T);
    auto t2 = now();
    m.backward(x.data(), y.data(), 1.0f / (B * T));
    auto t3 = now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count() * 1e3; };
    printf("zero %.1f fwd %.1f bwd %.1f ms loss %.4f\n", ms(t0, t1), ms(t1, t2), ms(t2, t3), l / (B * T));
  }
}
