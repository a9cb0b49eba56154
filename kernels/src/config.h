// Model config (docs/model.md) and the canonical parameter layout.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "json.h"

struct Config {
  std::string name;
  int vocab_size = 0, padded_vocab_size = 0, seq_len = 0, d_model = 0, n_layers = 0, n_heads = 0, d_ff = 0;
  double rope_theta = 10000, norm_eps = 1e-5, init_std = 0.02;
  Json raw;  // the config object exactly as received (written back into checkpoints)
  int head_dim() const { return d_model / n_heads; }
};

// Parses and validates; on failure returns false and sets err.
bool config_from_json(const Json& j, Config& out, std::string& err);
Json config_to_json(const Config& c);

enum class TensorKind { Embed, Norm, Matrix, ResidualMatrix };

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0;  // in elements, within the flat canonical parameter vector
  size_t numel = 0;
  TensorKind kind = TensorKind::Matrix;
  bool decay() const { return shape.size() == 2; }  // weight decay on 2-D tensors only
};

std::vector<TensorInfo> param_layout(const Config& c);
size_t param_count(const Config& c);
