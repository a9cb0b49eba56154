// Shared by build/gpu-parity, build/gpu-bench and build/ref-dump: the named model configs (the same values as
// src/trainer/configs.ts, which the engine itself never needs) and small helpers.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config.h"
#include "json.h"

inline bool named_config(const std::string& name, Config& out, std::string& err) {
  struct Row { const char* name; int seq_len, d_model, n_layers, n_heads, d_ff; };
  static const Row rows[] = {{"tiny", 64, 64, 2, 4, 176},
                             {"small", 128, 256, 4, 8, 688},
                             {"gpt2-124m", 1024, 768, 12, 12, 2048},
                             {"1b", 2048, 2048, 16, 16, 5504}};
  for (const Row& r : rows) {
    if (name != r.name) continue;
    Json j = Json::object();
    j.set("name", r.name);
    j.set("vocab_size", 50257);
    j.set("padded_vocab_size", 50304);
    j.set("seq_len", r.seq_len);
    j.set("d_model", r.d_model);
    j.set("n_layers", r.n_layers);
    j.set("n_heads", r.n_heads);
    j.set("d_ff", r.d_ff);
    j.set("rope_theta", 10000);
    j.set("norm_eps", 1e-5);
    j.set("init_std", 0.02);
    return config_from_json(j, out, err);
  }
  err = "unknown config \"" + name + "\" (tiny, small, gpt2-124m, 1b)";
  return false;
}

inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Prints {"ok":false,"error":msg} and exits 1: a tool always ends with one JSON object.
[[noreturn]] inline void fail_json(const std::string& tool, const std::string& msg) {
  Json j = Json::object();
  j.set("tool", tool);
  j.set("ok", false);
  j.set("error", msg);
  printf("%s\n", j.dump().c_str());
  exit(1);
}

// Writes bytes to path or ends the tool with its one JSON error object.
inline void write_file_or_fail(const std::string& tool, const std::string& path, const void* data, size_t bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) fail_json(tool, "cannot write " + path);
}

// The parameter layout as meta.json's `layout` ([{name, shape, offset, numel}], canonical order),
// which kernels/reference/model.py reads.
inline Json layout_json(const std::vector<TensorInfo>& layout) {
  Json lay = Json::array();
  for (const TensorInfo& ti : layout) {
    Json e = Json::object();
    e.set("name", ti.name);
    Json sh = Json::array();
    for (auto d : ti.shape) sh.push(Json((double)d));
    e.set("shape", sh);
    e.set("offset", (double)ti.offset);
    e.set("numel", (double)ti.numel);
    lay.push(e);
  }
  return lay;
}
