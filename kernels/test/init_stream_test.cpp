// The parallel parameter init (src/model.cpp init_parameters, NormalStream::at in src/rng.h) against
// the specification as one sequential stream (docs/trainer-protocol.md, "Initialisation"): the
// stream entered at any index, odd or even, gives the sequential values; init over layouts with odd
// tensor sizes, norm tensors and tensors longer than a chunk gives the sequential bits at 1, 2 and 3
// threads; so does the real tiny layout. Prints one JSON line; exit 1 on the first difference.
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "config.h"
#include "model.h"
#include "rng.h"

static int checks = 0;
static bool fail(const char* what, size_t at) {
  printf("{\"tool\":\"init-stream-test\",\"ok\":false,\"failed\":\"%s\",\"at\":%zu,\"checks\":%d}\n", what, at, checks);
  return false;
}

// the specification, one value after another
static std::vector<float> sequential(const std::vector<TensorInfo>& layout, const Config& cfg, uint64_t seed, size_t P) {
  std::vector<float> p(P);
  NormalStream rng(seed);
  const double sm = cfg.init_std, sr = cfg.init_std / std::sqrt(2.0 * cfg.n_layers);
  for (const TensorInfo& t : layout) {
    for (size_t i = 0; i < t.numel; i++)
      p[t.offset + i] = t.kind == TensorKind::Norm ? 1.0f
                        : (float)(rng.next() * (t.kind == TensorKind::ResidualMatrix ? sr : sm));
  }
  return p;
}

static bool same_init(const std::vector<TensorInfo>& layout, const Config& cfg, uint64_t seed, const char* what) {
  size_t P = 0;
  for (const TensorInfo& t : layout) P = std::max(P, t.offset + t.numel);
  const std::vector<float> want = sequential(layout, cfg, seed, P);
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> got(P, -7.0f);
    init_parameters(got.data(), layout, cfg, seed);
    checks++;
    for (size_t i = 0; i < P; i++)
      if (std::memcmp(&got[i], &want[i], 4) != 0) return fail(what, i);
  }
  return true;
}

int main() {
  // entering the stream at n gives the sequential values from n on
  for (uint64_t seed : {0ULL, 7ULL, 0x8000000000000005ULL}) {
    NormalStream s(seed);
    std::vector<double> seq(2100);
    for (double& v : seq) v = s.next();
    for (uint64_t n : {0, 1, 2, 3, 1000, 1001, 2047}) {
      NormalStream a = NormalStream::at(seed, n);
      checks++;
      for (uint64_t i = n; i < n + 40 && i < seq.size(); i++)
        if (a.next() != seq[i]) {
          fail("NormalStream::at", (size_t)n);
          return 1;
        }
    }
  }
  Config cfg;
  cfg.n_layers = 3;
  cfg.init_std = 0.02;
  // odd sizes (chunks start at odd stream indices), norms between matrices, tensors over 2^20
  auto tensor = [](size_t off, size_t n, TensorKind k) {
    TensorInfo t;
    t.name = "t";
    t.offset = off;
    t.numel = n;
    t.kind = k;
    return t;
  };
  std::vector<TensorInfo> odd;
  size_t off = 0;
  for (auto [n, k] : std::vector<std::pair<size_t, TensorKind>>{{1001, TensorKind::Embed},
                                                                 {3, TensorKind::Norm},
                                                                 {(1u << 20) + 7, TensorKind::ResidualMatrix},
                                                                 {5, TensorKind::Matrix},
                                                                 {2, TensorKind::Norm},
                                                                 {(3u << 20) + 1, TensorKind::Matrix},
                                                                 {1, TensorKind::ResidualMatrix}}) {
    odd.push_back(tensor(off, n, k));
    off += n;
  }
  if (!same_init(odd, cfg, 11, "odd layout")) return 1;
  // the real tiny model
  Config tiny;
  std::string err;
  const char* tj = R"({"name":"tiny","vocab_size":50257,"padded_vocab_size":50304,"seq_len":64,"d_model":64,"n_layers":2,"n_heads":4,"d_ff":176,"rope_theta":10000,"norm_eps":1e-5,"init_std":0.02})";
  if (!config_from_json(Json::parse(tj), tiny, err)) {
    printf("{\"tool\":\"init-stream-test\",\"ok\":false,\"failed\":\"config: %s\"}\n", err.c_str());
    return 1;
  }
  if (!same_init(param_layout(tiny), tiny, 7, "tiny")) return 1;
  printf("{\"tool\":\"init-stream-test\",\"ok\":true,\"checks\":%d}\n", checks);
  return 0;
}
