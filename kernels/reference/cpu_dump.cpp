// build/ref-dump: the CPU engine's half of `gpu-parity --dump DIR`, for machines without a GPU:
//   ref-dump --config tiny --seed 1 --B 4 [--T 64] DIR
// Same files and meta.json as gpu-parity (params.f32, tokens.i32, grads_cpu.f32, meta.json with
// "cpu_only": true and no CUDA losses), same parameter initialisation and the same token draw, so
// `python3 reference/model.py DIR --cpu-only` checks the CPU engine against the PyTorch reference.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backend.h"
#include "../test/gpu_tools_common.h"

static void write_file(const std::string& path, const void* data, size_t bytes) {
  write_file_or_fail("ref-dump", path, data, bytes);
}

int main(int argc, char** argv) {
  std::string config = "tiny", dir;
  uint64_t seed = 1;
  int B = 4, T = 0;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) fail_json("ref-dump", "missing value after " + a);
      return argv[++i];
    };
    if (a == "--config") config = val();
    else if (a == "--seed") seed = std::stoull(val());
    else if (a == "--B") B = std::stoi(val());
    else if (a == "--T") T = std::stoi(val());
    else if (!a.empty() && a[0] != '-' && dir.empty()) dir = a;
    else fail_json("ref-dump", "usage: ref-dump --config NAME --seed N --B N [--T N] DIR");
  }
  if (dir.empty()) fail_json("ref-dump", "no output directory");
  Config cfg;
  std::string err;
  if (!named_config(config, cfg, err)) fail_json("ref-dump", err);
  if (T <= 0) T = cfg.seq_len;
  if (B <= 0 || T > cfg.seq_len) fail_json("ref-dump", "bad --B/--T");
  mkdir(dir.c_str(), 0755);
  const auto layout = param_layout(cfg);
  auto cpu = make_cpu_backend();
  cpu->configure(cfg);
  cpu->init_params(seed);
  const size_t P = cpu->num_params();
  std::vector<float> p0(P), g(P);
  cpu->read_params(p0.data());
  std::vector<int> x((size_t)B * T), y((size_t)B * T);
  uint64_t s = seed ^ 0x70617269747921ULL;  // as gpu-parity draws them
  for (auto& v : x) v = (int)(splitmix64(s) % (uint64_t)cfg.vocab_size);
  for (auto& v : y) v = (int)(splitmix64(s) % (uint64_t)cfg.vocab_size);
  cpu->zero_grad();
  const double loss = cpu->forward_backward(x.data(), y.data(), B, T, 1.0f / (float)(B * T)) / (double)(B * T);
  cpu->read_grads(g.data());
  write_file(dir + "/params.f32", p0.data(), 4 * P);
  std::vector<int> tok(x);
  tok.insert(tok.end(), y.begin(), y.end());
  write_file(dir + "/tokens.i32", tok.data(), 4 * tok.size());
  write_file(dir + "/grads_cpu.f32", g.data(), 4 * P);
  Json meta = Json::object();
  meta.set("config", cfg.raw);
  meta.set("seed", (double)seed);
  meta.set("B", B);
  meta.set("T", T);
  meta.set("cpu_only", true);
  meta.set("loss_cpu", loss);
  meta.set("layout", layout_json(layout));
  std::string ms = meta.dump() + "\n";
  write_file(dir + "/meta.json", ms.data(), ms.size());
  printf("{\"tool\":\"ref-dump\",\"dir\":\"%s\",\"loss_cpu\":%.17g,\"params\":%zu}\n", dir.c_str(), loss, P);
  return 0;
}
