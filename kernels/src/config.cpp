#include "config.h"

#include <cmath>

static bool get_int(const Json& j, const char* k, int& out, std::string& err, int lo, int hi) {
  const Json* v = j.get(k);
  if (!v || !v->is_num() || v->num != std::floor(v->num) || v->num < lo || v->num > hi) {
    err = std::string("config.") + k + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  out = (int)v->num;
  return true;
}

static bool get_num(const Json& j, const char* k, double& out, std::string& err, double dflt, bool required) {
  const Json* v = j.get(k);
  if (!v) {
    if (required) { err = std::string("config.") + k + " is missing"; return false; }
    out = dflt;
    return true;
  }
  if (!v->is_num() || !std::isfinite(v->num) || v->num <= 0) {
    err = std::string("config.") + k + " must be a positive number";
    return false;
  }
  out = v->num;
  return true;
}

bool config_from_json(const Json& j, Config& c, std::string& err) {
  if (!j.is_obj()) { err = "config must be a JSON object"; return false; }
  c = Config();
  if (const Json* n = j.get("name")) if (n->is_str()) c.name = n->str;
  if (!get_int(j, "vocab_size", c.vocab_size, err, 2, 1 << 24)) return false;
  if (!get_int(j, "padded_vocab_size", c.padded_vocab_size, err, 2, 1 << 24)) return false;
  if (!get_int(j, "seq_len", c.seq_len, err, 1, 1 << 20)) return false;
  if (!get_int(j, "d_model", c.d_model, err, 2, 1 << 16)) return false;
  if (!get_int(j, "n_layers", c.n_layers, err, 1, 1024)) return false;
  if (!get_int(j, "n_heads", c.n_heads, err, 1, 1024)) return false;
  if (!get_int(j, "d_ff", c.d_ff, err, 1, 1 << 18)) return false;
  if (!get_num(j, "rope_theta", c.rope_theta, err, 10000, false)) return false;
  if (!get_num(j, "norm_eps", c.norm_eps, err, 1e-5, false)) return false;
  if (!get_num(j, "init_std", c.init_std, err, 0.02, false)) return false;
  if (c.padded_vocab_size < c.vocab_size) { err = "config.padded_vocab_size must be >= vocab_size"; return false; }
  if (c.d_model % c.n_heads != 0) { err = "config.d_model must be divisible by n_heads"; return false; }
  if (c.head_dim() % 2 != 0) { err = "head_dim (d_model / n_heads) must be even for RoPE"; return false; }
  c.raw = j;
  return true;
}

Json config_to_json(const Config& c) { return c.raw; }

std::vector<TensorInfo> param_layout(const Config& c) {
  std::vector<TensorInfo> out;
  size_t off = 0;
  auto add = [&](std::string name, std::vector<int64_t> shape, TensorKind kind) {
    TensorInfo t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.numel = 1;
    for (auto s : t.shape) t.numel *= (size_t)s;
    t.offset = off;
    t.kind = kind;
    off += t.numel;
    out.push_back(std::move(t));
  };
  const int64_t d = c.d_model, f = c.d_ff;
  add("embed", {c.padded_vocab_size, d}, TensorKind::Embed);
  for (int i = 0; i < c.n_layers; i++) {
    std::string p = "layers." + std::to_string(i) + ".";
    add(p + "attn_norm", {d}, TensorKind::Norm);
    add(p + "wq", {d, d}, TensorKind::Matrix);
    add(p + "wk", {d, d}, TensorKind::Matrix);
    add(p + "wv", {d, d}, TensorKind::Matrix);
    add(p + "wo", {d, d}, TensorKind::ResidualMatrix);
    add(p + "mlp_norm", {d}, TensorKind::Norm);
    add(p + "w_gate", {f, d}, TensorKind::Matrix);
    add(p + "w_up", {f, d}, TensorKind::Matrix);
    add(p + "w_down", {d, f}, TensorKind::ResidualMatrix);
  }
  add("final_norm", {d}, TensorKind::Norm);
  return out;
}

size_t param_count(const Config& c) {
  auto l = param_layout(c);
  return l.back().offset + l.back().numel;
}
