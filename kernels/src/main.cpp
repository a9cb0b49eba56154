// loco-engine: the native training engine. One long-lived process; one JSON command per line on
// stdin, JSON events per line on stdout, human logs on stderr. Protocol: docs/trainer-protocol.md.
#include <omp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "checkpoint.h"
#include "config.h"
#include "json.h"
#include "shard.h"
#ifdef LOCO_CUDA
#include "cuda/cuda_api.h"
#endif

static const int PROTOCOL_VERSION = 1;

// ---- input: a reader thread queues stdin lines, so a running `train` can see `cancel` (and
// end-of-file) between steps -------------------------------------------------------------------
struct Input {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  bool eof = false;

  void start() {
    std::thread([this] {
      std::string line;
      while (std::getline(std::cin, line)) {
        std::lock_guard<std::mutex> g(mu);
        lines.push_back(std::move(line));
        cv.notify_one();
      }
      std::lock_guard<std::mutex> g(mu);
      eof = true;
      cv.notify_one();
    }).detach();
  }
  // Next line; false at end of input.
  bool next(std::string& out) {
    std::unique_lock<std::mutex> g(mu);
    cv.wait(g, [this] { return !lines.empty() || eof; });
    if (lines.empty()) return false;
    out = std::move(lines.front());
    lines.pop_front();
    return true;
  }
  // Removes and returns the first queued `cancel` command (its id), if any. Sets closed on EOF.
  bool take_cancel(Json& id, bool& closed) {
    std::lock_guard<std::mutex> g(mu);
    closed = eof;
    for (auto it = lines.begin(); it != lines.end(); ++it) {
      if (it->find("cancel") == std::string::npos) continue;
      try {
        Json c = Json::parse(*it);
        const Json* cmd = c.get("cmd");
        if (cmd && cmd->is_str() && cmd->str == "cancel") {
          const Json* i = c.get("id");
          id = i ? *i : Json();
          lines.erase(it);
          return true;
        }
      } catch (...) {
      }
    }
    return false;
  }
};
static Input g_input;

struct CmdError {
  std::string code, reason;
};

static void emit(const Json& ev) {
  std::string s = ev.dump();
  s += '\n';
  fwrite(s.data(), 1, s.size(), stdout);
  fflush(stdout);
}

static Json event(const Json& id, const char* name) {
  Json e = Json::object();
  e.set("id", id);
  e.set("event", name);
  return e;
}

// ---- parameter helpers ----------------------------------------------------------------------
static const Json* opt(const Json& c, const char* k) {
  const Json* v = c.get(k);
  return (v && !v->is_null()) ? v : nullptr;
}
static double num_arg(const Json& c, const char* k, double dflt, bool required, double lo, double hi) {
  const Json* v = opt(c, k);
  if (!v) {
    if (required) throw CmdError{"bad_command", std::string("missing field \"") + k + "\""};
    return dflt;
  }
  if (!v->is_num() || !std::isfinite(v->num) || v->num < lo || v->num > hi)
    throw CmdError{"bad_command", std::string("field \"") + k + "\" must be a number in [" + std::to_string(lo) + ", " +
                                      std::to_string(hi) + "]"};
  return v->num;
}
static long int_arg(const Json& c, const char* k, long dflt, bool required, long lo, long hi) {
  double d = num_arg(c, k, (double)dflt, required, (double)lo, (double)hi);
  if (d != std::floor(d)) throw CmdError{"bad_command", std::string("field \"") + k + "\" must be an integer"};
  return (long)d;
}
static std::string str_arg(const Json& c, const char* k) {
  const Json* v = opt(c, k);
  if (!v || !v->is_str() || v->str.empty()) throw CmdError{"bad_command", std::string("field \"") + k + "\" must be a non-empty string"};
  return v->str;
}
static bool bool_arg(const Json& c, const char* k, bool dflt) {
  const Json* v = opt(c, k);
  if (!v) return dflt;
  if (v->type != Json::Bool) throw CmdError{"bad_command", std::string("field \"") + k + "\" must be true or false"};
  return v->b;
}
static std::vector<std::string> str_list_arg(const Json& c, const char* k) {
  const Json* v = opt(c, k);
  if (!v || !v->is_arr() || v->arr.empty()) throw CmdError{"bad_command", std::string("field \"") + k + "\" must be a non-empty array of strings"};
  std::vector<std::string> out;
  for (auto& e : v->arr) {
    if (!e.is_str() || e.str.empty()) throw CmdError{"bad_command", std::string("field \"") + k + "\" must hold only strings"};
    out.push_back(e.str);
  }
  return out;
}
static std::vector<uint64_t> id_list_arg(const Json& c, const char* k, bool allow_empty) {
  const Json* v = opt(c, k);
  if (!v || !v->is_arr() || (!allow_empty && v->arr.empty()))
    throw CmdError{"bad_command", std::string("field \"") + k + "\" must be a non-empty array of integers"};
  std::vector<uint64_t> out;
  out.reserve(v->arr.size());
  for (auto& e : v->arr) {
    if (!e.is_num() || e.num < 0 || e.num != std::floor(e.num) || e.num > 9007199254740992.0)
      throw CmdError{"bad_command", std::string("field \"") + k + "\" must hold non-negative integers"};
    out.push_back((uint64_t)e.num);
  }
  return out;
}

static std::vector<char> read_whole_file(const std::string& path, const char* what) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) throw CmdError{"io", std::string("cannot open ") + what + " " + path + ": " + strerror(errno)};
  std::vector<char> buf;
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) buf.resize((size_t)st.st_size);
  size_t got = buf.empty() ? 0 : fread(buf.data(), 1, buf.size(), f);
  fclose(f);
  if (got != buf.size()) throw CmdError{"io", std::string("short read on ") + what + " " + path};
  return buf;
}

// ---- engine state -------------------------------------------------------------------------------
struct Engine {
  std::unique_ptr<Backend> be;
  bool ready = false;
  Config cfg;
  long step = 0, opt_step = 0;
  uint64_t seed = 0;
  Json window;
  std::vector<float> snapshot;
  bool has_snapshot = false;

  void need_model() const {
    if (!ready) throw CmdError{"not_initialized", "no model: send init or load first"};
  }
};

static double lr_at(long s, double lr, double min_lr, long warmup, long total) {
  if (warmup > 0 && s < warmup) return lr * (double)(s + 1) / (double)warmup;
  if (total <= 0) return lr;
  if (s >= total) return min_lr;
  double span = (double)(total - warmup);
  double ratio = span > 0 ? (double)(s - warmup) / span : 1.0;
  if (ratio < 0) ratio = 0;
  if (ratio > 1) ratio = 1;
  return min_lr + 0.5 * (1.0 + std::cos(M_PI * ratio)) * (lr - min_lr);
}

// Loads x,y for the listed samples (validating shards, ids and token values up front).
static void load_samples(Engine& E, const Json& c, int T, const std::vector<uint64_t>& ids, std::vector<int>& x,
                         std::vector<int>& y) {
  auto paths = str_list_arg(c, "shards");
  ShardSet ss;
  std::string err;
  if (!ss.open(paths, T, err)) throw CmdError{"bad_shard", err};
  x.resize(ids.size() * (size_t)T);
  y.resize(ids.size() * (size_t)T);
  for (size_t i = 0; i < ids.size(); i++) {
    if (ids[i] >= ss.total_samples())
      throw CmdError{"bad_sample", "sample id " + std::to_string(ids[i]) + " is out of range: the shards hold " +
                                       std::to_string(ss.total_samples()) + " samples of " + std::to_string(T) + " tokens"};
    if (!ss.sample(ids[i], &x[i * T], &y[i * T], E.cfg.vocab_size, err)) throw CmdError{"bad_shard", err};
  }
}

static int seq_len_arg(const Engine& E, const Json& c) {
  return (int)int_arg(c, "seq_len", E.cfg.seq_len, false, 1, E.cfg.seq_len);
}

static Json cmd_info(Engine& E, const Json& id) {
  Json r = event(id, "done");
  r.set("protocol", PROTOCOL_VERSION);
  r.set("backend", E.be->name());
  r.set("describe", E.be->describe());
  r.set("initialized", E.ready);
  if (E.ready) {
    r.set("params", (double)E.be->num_params());
    r.set("config", E.cfg.raw);
    r.set("step", (double)E.step);
    r.set("optimizer_step", (double)E.opt_step);
    r.set("seed", seed_to_json(E.seed));
    r.set("window", E.window);
    r.set("has_snapshot", E.has_snapshot);
    Json ts = Json::array();
    for (auto& t : param_layout(E.cfg)) {
      Json e = Json::object();
      e.set("name", t.name);
      Json sh = Json::array();
      for (auto s : t.shape) sh.push(Json((double)s));
      e.set("shape", sh);
      e.set("offset", (double)t.offset);
      ts.push(e);
    }
    r.set("tensors", ts);
  }
  return r;
}

static void train(Engine& E, const Json& c, const Json& id) {
  E.need_model();
  const int T = seq_len_arg(E, c);
  const int B = (int)int_arg(c, "micro_batch", 0, true, 1, 1 << 20);
  const int accum = (int)int_arg(c, "grad_accum", 1, false, 1, 1 << 20);
  auto ids = id_list_arg(c, "samples", false);
  const size_t per_step = (size_t)B * accum;
  if (ids.size() < per_step)
    throw CmdError{"bad_command", "train needs at least micro_batch·grad_accum = " + std::to_string(per_step) +
                                      " sample ids, got " + std::to_string(ids.size())};
  const long steps = int_arg(c, "steps", (long)(ids.size() / per_step), false, 1, 1L << 40);
  if (ids.size() < per_step * (size_t)steps)
    throw CmdError{"bad_command", "train needs steps·grad_accum·micro_batch = " + std::to_string(per_step * steps) +
                                      " sample ids, got " + std::to_string(ids.size())};
  const double lr = num_arg(c, "lr", 3e-4, false, 0, 1e3);
  const double min_lr = num_arg(c, "min_lr", lr * 0.1, false, 0, 1e3);
  const long warmup = int_arg(c, "warmup_steps", 0, false, 0, 1L << 40);
  const long total = int_arg(c, "total_steps", 0, false, 0, 1L << 40);
  AdamWHyper h;
  h.weight_decay = (float)num_arg(c, "weight_decay", 0.1, false, 0, 1e3);
  h.beta1 = (float)num_arg(c, "beta1", 0.9, false, 0, 0.999999);
  h.beta2 = (float)num_arg(c, "beta2", 0.95, false, 0, 0.999999);
  h.eps = (float)num_arg(c, "eps", 1e-8, false, 0, 1);
  const double clip = num_arg(c, "grad_clip", 1.0, false, 0, 1e30);
  std::vector<uint64_t> used(ids.begin(), ids.begin() + per_step * steps);
  std::vector<int> X, Y;
  load_samples(E, c, T, used, X, Y);

  double loss_total = 0;
  const size_t tok_per_step = per_step * (size_t)T;
  auto t_all = std::chrono::steady_clock::now();
  long done_steps = 0;
  bool cancelled = false, closed = false;
  for (long s = 0; s < steps; s++) {
    Json cancel_id;
    if (g_input.take_cancel(cancel_id, closed)) {
      Json r = event(cancel_id, "done");
      r.set("cancelled", true);
      emit(r);
      cancelled = true;
      break;
    }
    if (closed) break;  // the parent is gone: stop between steps (main then exits)
    auto t0 = std::chrono::steady_clock::now();
    E.be->zero_grad();
    double loss_sum = 0;
    const float scale = (float)(1.0 / (double)tok_per_step);
    for (int a = 0; a < accum; a++) {
      const size_t off = ((size_t)s * per_step + (size_t)a * B) * T;
      loss_sum += E.be->forward_backward(&X[off], &Y[off], B, T, scale);
    }
    const double loss = loss_sum / (double)tok_per_step;
    const double norm = std::sqrt(E.be->grad_norm_sq());
    const float gscale = (clip > 0 && norm > clip) ? (float)(clip / (norm + 1e-6)) : 1.0f;
    const double lr_now = lr_at(E.step, lr, min_lr, warmup, total);
    E.opt_step++;
    E.be->optimizer_step(h, (float)lr_now, gscale, E.opt_step);
    E.step++;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    loss_total += loss;
    Json ev = event(id, "step");
    ev.set("step", (double)E.step);
    ev.set("inner", (double)(s + 1));
    ev.set("loss", loss);
    ev.set("lr", lr_now);
    ev.set("grad_norm", norm);
    ev.set("tokens", (double)tok_per_step);
    ev.set("tokens_per_s", tok_per_step / secs);
    ev.set("ms", secs * 1e3);
    emit(ev);
    done_steps++;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  Json d = event(id, "done");
  d.set("steps", (double)done_steps);
  d.set("step", (double)E.step);
  if (done_steps) d.set("mean_loss", loss_total / done_steps);
  else d.set("mean_loss", Json());
  d.set("tokens", (double)(tok_per_step * done_steps));
  d.set("ms", secs * 1e3);
  d.set("cancelled", cancelled);
  emit(d);
}

static Json eval(Engine& E, const Json& c, const Json& id) {
  E.need_model();
  const int T = seq_len_arg(E, c);
  auto ids = id_list_arg(c, "samples", false);
  const int B = (int)int_arg(c, "micro_batch", std::min<long>(8, (long)ids.size()), false, 1, 1 << 20);
  std::vector<int> X, Y;
  load_samples(E, c, T, ids, X, Y);
  auto t0 = std::chrono::steady_clock::now();
  double sum = 0;
  for (size_t i = 0; i < ids.size(); i += B) {
    const int b = (int)std::min<size_t>(B, ids.size() - i);
    sum += E.be->forward_loss(&X[i * T], &Y[i * T], b, T);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Json r = event(id, "done");
  const double ntok = (double)ids.size() * T;
  r.set("loss", sum / ntok);
  r.set("tokens", ntok);
  r.set("samples", (double)ids.size());
  r.set("ms", secs * 1e3);
  return r;
}

static Json handle(Engine& E, const std::string& cmd, const Json& c, const Json& id) {
  if (cmd == "info") return cmd_info(E, id);
  if (cmd == "init") {
    const Json* cj = opt(c, "config");
    if (!cj) throw CmdError{"bad_command", "init needs a \"config\" object"};
    Config cfg;
    std::string err;
    if (!config_from_json(*cj, cfg, err)) throw CmdError{"bad_config", err};
    uint64_t seed = 0;
    if (const Json* sj = opt(c, "seed"))
      if (!seed_from_json(*sj, seed)) throw CmdError{"bad_command", "seed must be a non-negative integer (or a decimal string for values above 2^53)"};
    E.ready = false;
    E.be->configure(cfg);
    E.be->init_params(seed);
    E.cfg = cfg;
    E.seed = seed;
    E.step = E.opt_step = 0;
    E.window = Json();
    E.has_snapshot = false;
    E.snapshot.clear();
    E.ready = true;
    Json r = event(id, "done");
    r.set("params", (double)E.be->num_params());
    r.set("backend", E.be->describe());
    return r;
  }
  if (cmd == "load") {
    const std::string path = str_arg(c, "path");
    CheckpointData d;
    std::string err;
    if (!checkpoint_load(path, d, err)) {
      if (err.rfind("cannot open", 0) == 0) throw CmdError{"io", err};
      throw CmdError{"bad_checkpoint", err};
    }
    E.ready = false;
    E.be->configure(d.cfg);
    E.be->write_params(d.params.data());
    if (d.has_optimizer) E.be->write_optimizer(d.m.data(), d.v.data());
    else E.be->write_optimizer(nullptr, nullptr);
    E.cfg = d.cfg;
    E.step = d.step;
    E.opt_step = d.has_optimizer ? d.optimizer_step : 0;
    E.seed = d.seed;
    E.window = d.window;
    E.has_snapshot = false;
    E.snapshot.clear();
    E.ready = true;
    Json r = event(id, "done");
    r.set("params", (double)E.be->num_params());
    r.set("step", (double)E.step);
    r.set("window", E.window);
    r.set("has_optimizer", d.has_optimizer);
    r.set("config", E.cfg.raw);
    return r;
  }
  if (cmd == "save") {
    E.need_model();
    const std::string path = str_arg(c, "path");
    if (const Json* w = c.get("window")) {
      if (!w->is_null() && (!w->is_num() || w->num < 0 || w->num != std::floor(w->num)))
        throw CmdError{"bad_command", "window must be a non-negative integer or null"};
      E.window = *w;
    }
    const bool with_opt = bool_arg(c, "optimizer", true);
    const size_t P = E.be->num_params();
    std::vector<float> p(P), m, v;
    E.be->read_params(p.data());
    if (with_opt) {
      m.resize(P);
      v.resize(P);
      E.be->read_optimizer(m.data(), v.data());
    }
    std::string err;
    if (!checkpoint_save(path, E.cfg, E.step, E.window, E.seed, p.data(), with_opt ? m.data() : nullptr,
                         with_opt ? v.data() : nullptr, E.opt_step, err))
      throw CmdError{"io", err};
    Json r = event(id, "done");
    r.set("path", path);
    r.set("step", (double)E.step);
    return r;
  }
  if (cmd == "snapshot") {
    E.need_model();
    E.snapshot.resize(E.be->num_params());
    E.be->read_params(E.snapshot.data());
    E.has_snapshot = true;
    Json r = event(id, "done");
    r.set("step", (double)E.step);
    return r;
  }
  if (cmd == "delta") {
    E.need_model();
    if (!E.has_snapshot) throw CmdError{"no_snapshot", "delta needs a snapshot taken first"};
    const std::string path = str_arg(c, "path");
    const bool restore = bool_arg(c, "restore", true);
    const size_t P = E.be->num_params();
    std::vector<float> cur(P);
    E.be->read_params(cur.data());
    double ss = 0;
    for (size_t i = 0; i < P; i++) {
      cur[i] = E.snapshot[i] - cur[i];
      ss += (double)cur[i] * cur[i];
    }
    std::string err;
    if (!write_file_atomic(path, {{cur.data(), 4 * P}}, err)) throw CmdError{"io", err};
    if (restore) E.be->write_params(E.snapshot.data());
    Json r = event(id, "done");
    r.set("path", path);
    r.set("bytes", (double)(4 * P));
    r.set("norm", std::sqrt(ss));
    r.set("restored", restore);
    return r;
  }
  if (cmd == "apply") {
    E.need_model();
    const std::string path = str_arg(c, "path");
    const double lr = num_arg(c, "lr", 1.0, false, -1e30, 1e30);
    std::string format = "dense";
    if (const Json* f = opt(c, "format")) {
      if (!f->is_str() || (f->str != "dense" && f->str != "sparse")) throw CmdError{"bad_command", "format must be \"dense\" or \"sparse\""};
      format = f->str;
    }
    const size_t P = E.be->num_params();
    std::vector<char> buf = read_whole_file(path, "update");
    if (format == "dense") {
      if (buf.size() != 4 * P)
        throw CmdError{"bad_update", "dense update " + path + " is " + std::to_string(buf.size()) + " bytes; expected " + std::to_string(4 * P) + " (4 × params)"};
      std::vector<float> u(P);
      std::memcpy(u.data(), buf.data(), 4 * P);
      E.be->add_dense((float)-lr, u.data());
    } else {
      if (buf.size() < 16 || std::memcmp(buf.data(), "LOCOSPU1", 8) != 0)
        throw CmdError{"bad_update", "sparse update " + path + " does not start with magic LOCOSPU1"};
      uint64_t n;
      std::memcpy(&n, buf.data() + 8, 8);
      if (n > (buf.size() - 16) / 8 || buf.size() != 16 + 8 * n)
        throw CmdError{"bad_update", "sparse update " + path + " length does not match its count"};
      std::vector<uint32_t> idx(n);
      std::vector<float> val(n);
      std::memcpy(idx.data(), buf.data() + 16, 4 * n);
      std::memcpy(val.data(), buf.data() + 16 + 4 * n, 4 * n);
      for (size_t i = 0; i < n; i++)
        if (idx[i] >= P) throw CmdError{"bad_update", "sparse update index " + std::to_string(idx[i]) + " ≥ params " + std::to_string(P)};
      E.be->add_sparse((float)-lr, idx.data(), val.data(), n);
    }
    Json r = event(id, "done");
    r.set("format", format);
    return r;
  }
  if (cmd == "sample_params") {
    E.need_model();
    auto ids = id_list_arg(c, "indices", true);
    const size_t P = E.be->num_params();
    for (auto i : ids)
      if (i >= P) throw CmdError{"bad_command", "index " + std::to_string(i) + " ≥ params " + std::to_string(P)};
    std::vector<float> vals(ids.size());
    E.be->gather_params(ids.data(), ids.size(), vals.data());
    Json r = event(id, "done");
    Json a = Json::array();
    for (float v : vals) a.push(Json((double)v));
    r.set("values", a);
    return r;
  }
  if (cmd == "eval") return eval(E, c, id);
  throw CmdError{"bad_command", "unknown cmd \"" + cmd + "\""};
}

// Settings that the OpenMP runtime and OpenBLAS read when they load (before main), so they are set
// here and the program re-executes itself once (only for variables the user did not set):
// - OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning. On a shared machine
//   (the engine next to node, the TUI, other jobs) spinning threads steal the cores the working
//   threads need; measured 3-4x faster steps under load (docs/benchmarks.md). Set
//   OMP_WAIT_POLICY=ACTIVE for a dedicated machine.
// - OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs: Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its
//   Haswell (AVX2) kernels on AMD Zen 4, its AVX-512 kernels are faster there.
static void maybe_reexec(char** argv) {
  if (getenv("LOCO_NO_REEXEC")) return;
  bool changed = false;
  if (!getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    changed = true;
  }
#ifdef LOCO_OPENBLAS
  __builtin_cpu_init();
  if (!getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    changed = true;
  }
#endif
  if (!changed) return;
  setenv("LOCO_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);  // on failure, carry on with the defaults
}

int main(int argc, char** argv) {
  maybe_reexec(argv);
  // Die with the parent (no orphans even if the parent is SIGKILLed mid-step).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // --device cuda|cpu|auto (auto: cuda when this binary has it and a CUDA device is present);
  // --backend and LOCO_BACKEND are aliases of --device / LOCO_DEVICE.
  std::string device = getenv("LOCO_DEVICE") ? getenv("LOCO_DEVICE") : getenv("LOCO_BACKEND") ? getenv("LOCO_BACKEND") : "auto";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if ((a == "--device" || a == "--backend") && i + 1 < argc) device = argv[++i];
    else if (a == "--threads" && i + 1 < argc) omp_set_num_threads(atoi(argv[++i]));
    else if (a == "--version") { printf("loco-engine protocol %d\n", PROTOCOL_VERSION); return 0; }
    else { fprintf(stderr, "loco-engine: unknown argument %s\n", a.c_str()); return 2; }
  }
  Engine E;
#ifdef LOCO_CUDA
  const char* available = "cpu, cuda, auto";
  std::string why_not_cuda;
  bool gpu_found = false;
  if (device == "auto") {
    device = cuda_device_present(&why_not_cuda, &gpu_found) ? "cuda" : "cpu";
    // a GPU this build cannot use: say why rather than fall back in silence
    if (device == "cpu" && gpu_found) fprintf(stderr, "loco-engine: %s; running on the CPU\n", why_not_cuda.c_str());
  }
  if (device == "cuda") {
    try {
      E.be = make_cuda_backend();
    } catch (const std::exception& e) {
      fprintf(stderr, "loco-engine: cannot start the CUDA backend: %s\n", e.what());
      return 2;
    }
  }
#else
  const char* available = "cpu, auto; this binary was built without CUDA: build it with `make -C kernels cuda`";
  if (device == "auto") device = "cpu";
#endif
  if (device == "cpu") E.be = make_cpu_backend();
  else if (!E.be) {
    fprintf(stderr, "loco-engine: device \"%s\" is not available (available: %s)\n", device.c_str(), available);
    return 2;
  }
  std::ios::sync_with_stdio(false);
  Json ready = event(Json(), "ready");
  ready.set("protocol", PROTOCOL_VERSION);
  ready.set("backend", E.be->name());
  ready.set("describe", E.be->describe());
#ifdef LOCO_CUDA
  // --device auto found a GPU this build cannot use: the reason, for the program driving the engine
  if (gpu_found && E.be->name() == "cpu") ready.set("device_note", why_not_cuda);
#endif
  ready.set("pid", (double)getpid());
  emit(ready);
  fprintf(stderr, "loco-engine: ready (%s)\n", E.be->describe().c_str());

  g_input.start();
  std::string line;
  while (g_input.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json id;
    try {
      Json c;
      try {
        c = Json::parse(line);
      } catch (const std::exception& e) {
        throw CmdError{"bad_command", std::string("malformed command line: ") + e.what()};
      }
      if (!c.is_obj()) throw CmdError{"bad_command", "a command must be a JSON object"};
      if (const Json* i = c.get("id")) id = *i;
      if (id.is_null()) throw CmdError{"bad_command", "command has no \"id\""};
      const Json* cj = c.get("cmd");
      if (!cj || !cj->is_str()) throw CmdError{"bad_command", "command has no \"cmd\" string"};
      if (cj->str == "shutdown") {
        emit(event(id, "done"));
        fflush(stdout);
        _exit(0);  // the reader thread may be blocked in getline
      }
      if (cj->str == "cancel") {  // nothing running
        Json r = event(id, "done");
        r.set("cancelled", false);
        emit(r);
        continue;
      }
      if (cj->str == "train") train(E, c, id);
      else emit(handle(E, cj->str, c, id));
    } catch (const CmdError& e) {
      Json ev = event(id, "error");
      ev.set("code", e.code);
      ev.set("reason", e.reason);
      emit(ev);
    } catch (const std::bad_alloc&) {
      Json ev = event(id, "error");
      ev.set("code", "out_of_memory");
      ev.set("reason", "out of memory");
      emit(ev);
    } catch (const std::exception& e) {
      Json ev = event(id, "error");
      ev.set("code", "internal");
      ev.set("reason", e.what());
      emit(ev);
    }
  }
  fflush(stdout);
  _exit(0);
}
