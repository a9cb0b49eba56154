// build/gpu-parity: the CUDA backend against the CPU engine (docs/cuda.md, "Parity").
//   gpu-parity --config tiny --seed 1 --B 4 [--T 64] [--steps 3] [--lr 1e-3] [--dump DIR]
// Parameters are initialised by the CPU backend from the seed and copied to the CUDA backend; one
// forward_backward on a deterministic batch (x, y of shape B×T drawn from SplitMix64(seed ^ C) over
// the vocabulary) is compared — loss, gradient norm and every parameter's gradient — for both
// precisions (fp32, bf16); then `steps` AdamW steps (grad-norm clipping at 1) are run on each and the
// parameter updates compared; also the eval loss (forward only) and the gradient of the batch split
// into two accumulated micro-batches. Prints ONE JSON object with "ok" against the tolerances below, and
// names every tensor that fails. A built-in self-check corrupts one gradient tensor slightly and
// requires the comparison to catch it (so the check can fail).
#include <sys/stat.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include <random>

#include "backend.h"
#include "cuda/attention.cuh"
#include "cuda/cuda_api.h"
#include "fnv1a.h"
#include "gpu_tools_common.h"

namespace {

struct Tol {
  double loss_rel, grad_rel, gnorm_rel, update_rel;
};
// fp32: the same arithmetic up to summation order. bf16: activations and weights rounded to 8-bit
// mantissas (relative error ≈ 2^-9 per rounding, partly averaging out).
const Tol TOL_FP32 = {1e-5, 1e-4, 1e-5, 1e-3};
const Tol TOL_BF16 = {5e-3, 5e-2, 2e-2, 0.3};

struct Cmp {
  double max_abs = 0, rel = 0, ref_norm = 0;
};
Cmp compare(const float* a, const float* ref, size_t n) {
  Cmp c;
  double dd = 0, rr = 0;
  for (size_t i = 0; i < n; i++) {
    const double d = (double)a[i] - (double)ref[i];
    if (!std::isfinite(d)) { dd = INFINITY; c.max_abs = INFINITY; break; }
    dd += d * d;
    rr += (double)ref[i] * ref[i];
    c.max_abs = std::max(c.max_abs, std::fabs(d));
  }
  c.ref_norm = std::sqrt(rr);
  c.rel = rr > 0 ? std::sqrt(dd) / std::sqrt(rr) : (dd > 0 ? INFINITY : 0.0);
  return c;
}
double rel_err(double a, double ref) { return std::fabs(a - ref) / std::max(std::fabs(ref), 1e-30); }

void write_file(const std::string& path, const void* data, size_t bytes) {
  write_file_or_fail("gpu-parity", path, data, bytes);
}

struct RunResult {
  double loss = 0, gnorm = 0, eval_loss = 0;
  bool repeat_identical = false;
  std::vector<float> grads, grads_accum, params_after;
  std::vector<double> step_losses;
};

RunResult run_backend(Backend& be, const Config& cfg, const std::vector<float>& p0, const std::vector<int>& x,
                      const std::vector<int>& y, int B, int T, int steps, float lr) {
  RunResult r;
  const size_t P = be.num_params();
  const float scale = 1.0f / (float)(B * T);
  be.write_params(p0.data());
  be.write_optimizer(nullptr, nullptr);
  be.zero_grad();
  r.loss = be.forward_backward(x.data(), y.data(), B, T, scale) / (double)(B * T);
  r.gnorm = std::sqrt(be.grad_norm_sq());
  r.grads.resize(P);
  be.read_grads(r.grads.data());
  // the same step again: bit-identical gradients and loss (no atomics anywhere)
  {
    be.zero_grad();
    const double again = be.forward_backward(x.data(), y.data(), B, T, scale) / (double)(B * T);
    std::vector<float> g2(P);
    be.read_grads(g2.data());
    r.repeat_identical = again == r.loss && std::memcmp(g2.data(), r.grads.data(), 4 * P) == 0;
  }
  // forward only (eval) on the same batch and parameters
  r.eval_loss = be.forward_loss(x.data(), y.data(), B, T) / (double)(B * T);
  // gradient accumulation: the batch as two micro-batches (different shapes: buffers are reused)
  if (B >= 2) {
    const int B1 = B / 2, B2 = B - B1;
    be.zero_grad();
    be.forward_backward(x.data(), y.data(), B1, T, scale);
    be.forward_backward(x.data() + (size_t)B1 * T, y.data() + (size_t)B1 * T, B2, T, scale);
    r.grads_accum.resize(P);
    be.read_grads(r.grads_accum.data());
  }
  AdamWHyper h;
  for (int t = 1; t <= steps; t++) {
    be.zero_grad();
    r.step_losses.push_back(be.forward_backward(x.data(), y.data(), B, T, scale) / (double)(B * T));
    const double g = std::sqrt(be.grad_norm_sq());
    const float gs = g > 1.0 ? (float)(1.0 / (g + 1e-6)) : 1.0f;
    be.optimizer_step(h, lr, gs, t);
  }
  r.params_after.resize(P);
  be.read_params(r.params_after.data());
  return r;
}


// The tensor-core attention (attention_tc2.cu) against the CUDA-core one (both bf16 in and out) on
// random inputs, for every supported head size and sequence lengths that are not multiples of the
// 64-row tiles; cuDNN's too where it runs (the default on an H100/H200, or LOCO_CUDA_ATTN_FWD / _BWD=cudnn;
// not in the checksum).
// sets fnv to the checksum (fnv1a.h) of every case's tensor-core outputs (y, lse, dqkv), in case
// order: two runs with opt-in shapes that must give the same bits (LOCO_CUDA_ATTN_ROWS=32) are
// compared through it by gpu-check
Json check_attention_tc(bool& ok, Json& failures, uint64_t& fnv) {
  fnv = FNV1A_BASIS;
  struct Case { int B, T, H, hd; };
  const Case cases[] = {{2, 200, 2, 64}, {1, 200, 2, 128}, {2, 130, 4, 16}, {1, 77, 2, 32}, {1, 64, 1, 128},
                        {1, 520, 2, 64}, {1, 300, 1, 128}};
  Json arr = Json::array();
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (const Case& c : cases) {
    const int d = c.H * c.hd;
    const size_t BT = (size_t)c.B * c.T, nq = BT * 3 * d, ny = BT * d, nl = BT * c.H;
    std::vector<bf16> hqkv(nq), hdy(ny);
    for (auto& v : hqkv) v = __float2bfloat16(nd(rng));
    for (auto& v : hdy) v = __float2bfloat16(nd(rng));
    bf16 *qkv, *dy, *y1, *y2, *dq1, *dq2;
    float *l1, *l2, *D;
    cudaMalloc(&qkv, 2 * nq); cudaMalloc(&dy, 2 * ny); cudaMalloc(&y1, 2 * ny); cudaMalloc(&y2, 2 * ny);
    cudaMalloc(&dq1, 2 * nq); cudaMalloc(&dq2, 2 * nq); cudaMalloc(&l1, 4 * nl); cudaMalloc(&l2, 4 * nl);
    cudaMalloc(&D, 4 * nl);
    cudaMemcpy(qkv, hqkv.data(), 2 * nq, cudaMemcpyHostToDevice);
    cudaMemcpy(dy, hdy.data(), 2 * ny, cudaMemcpyHostToDevice);
    cudaMemset(dq1, 0, 2 * nq);
    cudaMemset(dq2, 0, 2 * nq);
    k_attention_forward_simple<bf16>(y1, l1, qkv, c.B, c.T, c.H, c.hd);
    k_attention_backward_simple<bf16>(dq1, D, qkv, y1, dy, l1, c.B, c.T, c.H, c.hd);
    k_attention_forward_tc2(y2, l2, qkv, c.B, c.T, c.H, c.hd);
    k_attention_bwd_pre<bf16>(D, y2, dy, c.B, c.T, c.H, c.hd);
    k_attention_backward_tc2(dq2, D, qkv, dy, l2, c.B, c.T, c.H, c.hd);
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) throw std::runtime_error(std::string("attention check: ") + cudaGetErrorString(e));
    auto get = [](const bf16* p, size_t n) {
      std::vector<bf16> h(n);
      cudaMemcpy(h.data(), p, 2 * n, cudaMemcpyDeviceToHost);
      std::vector<float> f(n);
      for (size_t i = 0; i < n; i++) f[i] = __bfloat162float(h[i]);
      return f;
    };
    std::vector<float> fy1 = get(y1, ny), fy2 = get(y2, ny), g1 = get(dq1, nq), g2 = get(dq2, nq);
    std::vector<float> hl1(nl), hl2(nl);
    cudaMemcpy(hl1.data(), l1, 4 * nl, cudaMemcpyDeviceToHost);
    cudaMemcpy(hl2.data(), l2, 4 * nl, cudaMemcpyDeviceToHost);
    fnv = fnv1a(fnv, fy2.data(), 4 * ny);  // the bf16 values as floats: exact
    fnv = fnv1a(fnv, hl2.data(), 4 * nl);
    fnv = fnv1a(fnv, g2.data(), 4 * nq);
    // dqkv split into its q, k, v parts
    auto split_qkv = [&](const std::vector<float>& g) {
      std::array<std::vector<float>, 3> parts;
      for (size_t r = 0; r < BT; r++)
        for (int p = 0; p < 3; p++)
          for (int j = 0; j < d; j++) parts[p].push_back(g[r * 3 * d + p * d + j]);
      return parts;
    };
    const auto parts1 = split_qkv(g1), parts2 = split_qkv(g2);
    Cmp cy = compare(fy2.data(), fy1.data(), ny), cl = compare(hl2.data(), hl1.data(), nl);
    Cmp cq = compare(parts2[0].data(), parts1[0].data(), ny), ck = compare(parts2[1].data(), parts1[1].data(), ny),
        cv = compare(parts2[2].data(), parts1[2].data(), ny);
    bool cok = cy.rel <= 1e-2 && cl.max_abs <= 1e-2 && cq.rel <= 2e-2 && ck.rel <= 2e-2 && cv.rel <= 2e-2;
    Json j = Json::object();
    j.set("B", c.B); j.set("T", c.T); j.set("H", c.H); j.set("head_dim", c.hd);
    j.set("y_rel", cy.rel); j.set("lse_max_abs", cl.max_abs);
    j.set("dq_rel", cq.rel); j.set("dk_rel", ck.rel); j.set("dv_rel", cv.rel);
    // cuDNN's attention where it runs (by default, or LOCO_CUDA_ATTN_FWD/BWD=cudnn), against the same CUDA-core
    // reference and tolerances: its forward's y and lse; its backward on the reference's y and lse
    // a shape cuDNN has no engine for (its plan refused, nothing run) fails the check at the models'
    // head dims (64, 128) and is recorded at the others, where the engine would stop with the same
    // message; any other error fails it
    auto cudnn_failed = [&](const char* half, const std::exception& ex, bool refused) {
      j.set(std::string("cudnn_") + half + "_error", std::string(ex.what()));
      if (!refused || c.hd == 64 || c.hd == 128) cok = false;
    };
    if (attention_cudnn_fwd_on()) try {
      k_attention_forward_cudnn(y2, l2, qkv, c.B, c.T, c.H, c.hd);
      e = cudaDeviceSynchronize();
      if (e != cudaSuccess) throw std::runtime_error(std::string("attention check (cuDNN forward): ") + cudaGetErrorString(e));
      const std::vector<float> fy3 = get(y2, ny);
      std::vector<float> hl3(nl);
      cudaMemcpy(hl3.data(), l2, 4 * nl, cudaMemcpyDeviceToHost);
      const Cmp dy3 = compare(fy3.data(), fy1.data(), ny), dl3 = compare(hl3.data(), hl1.data(), nl);
      j.set("cudnn_y_rel", dy3.rel); j.set("cudnn_lse_max_abs", dl3.max_abs);
      cok = cok && dy3.rel <= 1e-2 && dl3.max_abs <= 1e-2;
    } catch (const CudnnNoPlan& ex) {
      cudnn_failed("fwd", ex, true);
    } catch (const std::runtime_error& ex) {
      cudnn_failed("fwd", ex, false);
    }
    if (attention_cudnn_bwd_on()) try {
      k_attention_backward_cudnn(dq2, D, qkv, y1, dy, l1, c.B, c.T, c.H, c.hd, attention_cudnn_bwd_deterministic());
      e = cudaDeviceSynchronize();
      if (e != cudaSuccess) throw std::runtime_error(std::string("attention check (cuDNN backward): ") + cudaGetErrorString(e));
      const std::vector<float> g3 = get(dq2, nq);
      const auto parts3 = split_qkv(g3);
      const Cmp q3 = compare(parts3[0].data(), parts1[0].data(), ny), k3 = compare(parts3[1].data(), parts1[1].data(), ny),
                v3 = compare(parts3[2].data(), parts1[2].data(), ny);
      j.set("cudnn_dq_rel", q3.rel); j.set("cudnn_dk_rel", k3.rel); j.set("cudnn_dv_rel", v3.rel);
      cok = cok && q3.rel <= 2e-2 && k3.rel <= 2e-2 && v3.rel <= 2e-2;
      // the same call again: the same bits? Required of the deterministic backward (cudnn-det);
      // reported for the default one, whose dQ is added atomically
      k_attention_backward_cudnn(dq2, D, qkv, y1, dy, l1, c.B, c.T, c.H, c.hd, attention_cudnn_bwd_deterministic());
      e = cudaDeviceSynchronize();
      if (e != cudaSuccess) throw std::runtime_error(std::string("attention check (cuDNN backward, again): ") + cudaGetErrorString(e));
      const bool same = get(dq2, nq) == g3;
      j.set("cudnn_bwd_repeat_same_bits", same);
      if (attention_cudnn_bwd_deterministic()) cok = cok && same;
    } catch (const CudnnNoPlan& ex) {
      cudnn_failed("bwd", ex, true);
    } catch (const std::runtime_error& ex) {
      cudnn_failed("bwd", ex, false);
    }
    j.set("ok", cok);
    arr.push(j);
    if (!cok) {
      ok = false;
      failures.push(Json("tensor-core (or cuDNN) attention differs from the CUDA-core one at head_dim " + std::to_string(c.hd) +
                         ", T " + std::to_string(c.T) + ": " + j.dump()));
    }
    cudaFree(qkv); cudaFree(dy); cudaFree(y1); cudaFree(y2); cudaFree(dq1); cudaFree(dq2);
    cudaFree(l1); cudaFree(l2); cudaFree(D);
  }
  return arr;
}

// CUDA graphs (step_graph.h) against the same calls launched one by one, on the bf16 backend: three
// AdamW steps of two accumulated micro-batches and an eval each (so the keys "overwrite", "add" and
// "forward only" are each run eagerly, captured, then replayed), every loss and the last gradients
// and parameters compared bit for bit. Graphs must change no bit where two eager runs agree (where
// they do not, an attention with atomic adds, the bf16 tolerance applies). A capture that fails is
// reported (the engine falls back to launching) and does not fail the check; different numbers do.
struct GraphRun {
  std::vector<double> losses;
  std::vector<float> grads, params;
};
GraphRun graph_run(const Config& cfg, const std::vector<float>& p0, const std::vector<int>& x, const std::vector<int>& y,
                   int B, int T, float lr, bool graphs, int pdl = -1) {
  const bool was = cuda_graph_enabled(), pdl_was = cuda_pdl_on();
  cuda_graph_enable(graphs);
  if (pdl >= 0) cuda_pdl_enable(pdl == 1);
  GraphRun r;
  {
    auto be = make_cuda_backend("bf16");
    be->configure(cfg);
    be->write_params(p0.data());
    be->write_optimizer(nullptr, nullptr);
    const float scale = 1.0f / (float)(2 * B * T);
    AdamWHyper h;
    for (int t = 1; t <= 3; t++) {
      be->zero_grad();
      r.losses.push_back(be->forward_backward(x.data(), y.data(), B, T, scale));
      r.losses.push_back(be->forward_backward(x.data(), y.data(), B, T, scale));
      r.grads.resize(be->num_params());
      be->read_grads(r.grads.data());
      const double g = std::sqrt(be->grad_norm_sq());
      be->optimizer_step(h, lr, g > 1.0 ? (float)(1.0 / (g + 1e-6)) : 1.0f, t);
      r.losses.push_back(be->forward_loss(x.data(), y.data(), B, T));
    }
    r.params.resize(be->num_params());
    be->read_params(r.params.data());
  }
  cuda_graph_enable(was);
  if (pdl >= 0) cuda_pdl_enable(pdl_was);
  return r;
}
// the same losses, last gradients and parameters, bit for bit
bool same_bits(const GraphRun& a, const GraphRun& b) {
  return a.losses == b.losses && a.grads.size() == b.grads.size() &&
         std::memcmp(a.grads.data(), b.grads.data(), 4 * a.grads.size()) == 0 &&
         std::memcmp(a.params.data(), b.params.data(), 4 * a.params.size()) == 0;
}
// Whether RUN agrees with BASE: bit for bit where two runs like BASE gave the same bits
// (deterministic), else by its gradients within the bf16 tolerance (*rel: their relative error; set
// only then)
bool agrees(const GraphRun& run, const GraphRun& base, bool deterministic, double* rel) {
  if (deterministic) return same_bits(run, base);
  *rel = compare(run.grads.data(), base.grads.data(), base.grads.size()).rel;
  return *rel <= TOL_BF16.grad_rel;
}
Json check_graphs(const Config& cfg, const std::vector<float>& p0, const std::vector<int>& x, const std::vector<int>& y,
                  int B, int T, float lr, bool& ok, Json& failures, GraphRun& eager, bool& eager_deterministic) {
  const CudaGraphStats before = cuda_graph_stats();
  const GraphRun eager1 = graph_run(cfg, p0, x, y, B, T, lr, false);
  const GraphRun graphs = graph_run(cfg, p0, x, y, B, T, lr, true);
  const GraphRun eager2 = graph_run(cfg, p0, x, y, B, T, lr, false);
  const CudaGraphStats after = cuda_graph_stats();
  Json j = Json::object();
  const bool deterministic = same_bits(eager1, eager2);
  const long captured = after.captured - before.captured, launched = after.launched - before.launched,
             failed = after.failed - before.failed;
  j.set("captured", (double)captured);
  j.set("launched", (double)launched);
  j.set("capture_failures", (double)failed);
  if (failed > 0) j.set("last_failure", after.last_failure);
  j.set("eager_repeat_bit_identical", deterministic);
  const bool bits = same_bits(graphs, eager1);
  j.set("bit_identical", bits);
  double rel = 0;
  const bool agree = agrees(graphs, eager1, deterministic, &rel);
  if (!deterministic) j.set("grads_rel_err", rel);
  if (!agree) {
    ok = false;
    failures.push(Json(deterministic ? "graphs: the steps replayed as CUDA graphs differ from the same steps launched one by one"
                                     : "graphs: gradients rel err " + std::to_string(rel) + " against the eager steps"));
  }
  // with no failed capture, every key (overwrite, add, forward only) is captured once and replayed in
  // steps 2 and 3: fewer launches means a step ran eagerly where it should not have
  if (failed == 0 && (captured != 3 || launched != 6)) {
    ok = false;
    failures.push(Json("graphs: " + std::to_string(captured) + " captured and " + std::to_string(launched) +
                       " launched, expected 3 and 6"));
  }
  j.set("ok", ok);
  eager = eager1;
  eager_deterministic = deterministic;
  return j;
}

// Programmatic dependent launch (LOCO_CUDA_PDL, kernels.cu): the same steps as check_graphs with the
// element-wise kernels launched that way, one by one and as CUDA graphs, against them launched the
// usual way, bit for bit where two such runs agree. The usual launches are check_graphs' eager runs,
// or, where LOCO_CUDA_PDL=1 made those PDL runs themselves, two runs of their own. A kernel that
// touched memory before waiting for the one ahead of it would read or overwrite values that kernel had
// not finished with.
Json check_pdl(const Config& cfg, const std::vector<float>& p0, const std::vector<int>& x, const std::vector<int>& y,
               int B, int T, float lr, const GraphRun& eager, bool eager_deterministic, bool& ok, Json& failures) {
  Json j = Json::object();
  const bool asked = cuda_pdl_on();
  cuda_pdl_enable(true);
  const bool supported = cuda_pdl_on();
  cuda_pdl_enable(asked);
  j.set("supported", supported);
  if (!supported) return j;  // said once on stderr: compute capability below 9.0
  GraphRun own;
  bool deterministic = eager_deterministic;
  if (asked) {
    own = graph_run(cfg, p0, x, y, B, T, lr, false, 0);
    deterministic = same_bits(own, graph_run(cfg, p0, x, y, B, T, lr, false, 0));
  }
  const GraphRun& plain1 = asked ? own : eager;
  j.set("usual_repeat_bit_identical", deterministic);
  const GraphRun pdl = graph_run(cfg, p0, x, y, B, T, lr, false, 1);
  const GraphRun pdl_graphs = graph_run(cfg, p0, x, y, B, T, lr, true, 1);
  j.set("bit_identical", same_bits(pdl, plain1));
  j.set("graphs_bit_identical", same_bits(pdl_graphs, plain1));
  const std::pair<const char*, const GraphRun*> runs[] = {{"one by one", &pdl}, {"as CUDA graphs", &pdl_graphs}};
  for (const auto& [how, run] : runs) {
    double rel = 0;
    if (agrees(*run, plain1, deterministic, &rel)) continue;
    ok = false;
    failures.push(Json(deterministic ? std::string("pdl: the steps with programmatic dependent launches (") + how +
                                           ") differ from the same steps launched the usual way"
                                     : std::string("pdl (") + how + "): gradients rel err " + std::to_string(rel) +
                                           " against the usual launches"));
  }
  j.set("ok", ok);
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = "tiny", dump;
  uint64_t seed = 1;
  int B = 4, T = 0, steps = 3;
  float lr = 1e-3f;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) fail_json("gpu-parity", "missing value after " + a);
      return argv[++i];
    };
    if (a == "--config") config = val();
    else if (a == "--seed") seed = strtoull(val().c_str(), nullptr, 10);
    else if (a == "--B") B = atoi(val().c_str());
    else if (a == "--T") T = atoi(val().c_str());
    else if (a == "--steps") steps = atoi(val().c_str());
    else if (a == "--lr") lr = (float)atof(val().c_str());
    else if (a == "--dump") dump = val();
    else fail_json("gpu-parity", "unknown argument " + a);
  }
  Config cfg;
  std::string err;
  if (!named_config(config, cfg, err)) fail_json("gpu-parity", err);
  if (T <= 0) T = cfg.seq_len;
  if (B <= 0 || T > cfg.seq_len || steps < 0) fail_json("gpu-parity", "bad --B/--T/--steps");
  if (!dump.empty()) mkdir(dump.c_str(), 0755);
  try {
    std::string why;
    if (!cuda_device_present(&why)) fail_json("gpu-parity", why);
    const auto layout = param_layout(cfg);
    // CPU reference
    auto cpu = make_cpu_backend();
    cpu->configure(cfg);
    cpu->init_params(seed);
    const size_t P = cpu->num_params();
    std::vector<float> p0(P);
    cpu->read_params(p0.data());
    std::vector<int> x((size_t)B * T), y((size_t)B * T);
    uint64_t s = seed ^ 0x70617269747921ULL;
    for (auto& v : x) v = (int)(splitmix64(s) % (uint64_t)cfg.vocab_size);
    for (auto& v : y) v = (int)(splitmix64(s) % (uint64_t)cfg.vocab_size);
    RunResult ref = run_backend(*cpu, cfg, p0, x, y, B, T, steps, lr);

    Json out = Json::object();
    out.set("tool", "gpu-parity");
    out.set("config", config);
    out.set("seed", (double)seed);
    out.set("B", B);
    out.set("T", T);
    out.set("params", (double)P);
    out.set("adamw_steps", steps);
    out.set("lr", lr);
    out.set("loss_cpu", ref.loss);
    out.set("grad_norm_cpu", ref.gnorm);
    bool ok = true;
    Json failures = Json::array();
    Json precisions = Json::object();
    std::vector<float> grads_fp32;
    double loss_fp32 = NAN, loss_bf16 = NAN;

    // init on the device side must reproduce the CPU initialisation bit for bit
    {
      auto be = make_cuda_backend("fp32");
      out.set("device", be->describe());
      be->configure(cfg);
      be->init_params(seed);
      std::vector<float> pi(P);
      be->read_params(pi.data());
      const bool same = std::memcmp(pi.data(), p0.data(), 4 * P) == 0;
      out.set("init_identical", same);
      if (!same) {
        ok = false;
        failures.push(Json("init_params differs from the CPU initialisation"));
      }
    }

    for (const char* prec : {"fp32", "bf16"}) {
      const Tol tol = std::string(prec) == "fp32" ? TOL_FP32 : TOL_BF16;
      auto be = make_cuda_backend(prec);
      be->configure(cfg);
      RunResult r = run_backend(*be, cfg, p0, x, y, B, T, steps, lr);
      Json pj = Json::object();
      pj.set("describe", be->describe());
      pj.set("loss", r.loss);
      const double lrel = rel_err(r.loss, ref.loss);
      pj.set("loss_rel_err", lrel);
      if (!(lrel <= tol.loss_rel)) {
        ok = false;
        failures.push(Json(std::string(prec) + ": loss " + std::to_string(r.loss) + " vs cpu " + std::to_string(ref.loss)));
      }
      pj.set("grad_norm", r.gnorm);
      const double grel = rel_err(r.gnorm, ref.gnorm);
      pj.set("grad_norm_rel_err", grel);
      if (!(grel <= tol.gnorm_rel)) {
        ok = false;
        failures.push(Json(std::string(prec) + ": grad norm rel err " + std::to_string(grel)));
      }
      Json tensors = Json::array();
      double worst = 0;
      std::string worst_name;
      for (const TensorInfo& ti : layout) {
        Cmp c = compare(r.grads.data() + ti.offset, ref.grads.data() + ti.offset, ti.numel);
        const bool tok = c.rel <= tol.grad_rel;
        Json t = Json::object();
        t.set("name", ti.name);
        t.set("max_abs_err", c.max_abs);
        t.set("rel_err", c.rel);
        t.set("ref_norm", c.ref_norm);
        t.set("ok", tok);
        tensors.push(t);
        if (!(c.rel <= worst)) { worst = c.rel; worst_name = ti.name; }
        if (!tok) {
          ok = false;
          failures.push(Json(std::string(prec) + ": gradient of " + ti.name + " rel err " + std::to_string(c.rel) +
                             " > " + std::to_string(tol.grad_rel)));
        }
      }
      pj.set("grads", tensors);
      pj.set("repeat_bit_identical", r.repeat_identical);  // reported, not part of "ok"
      // eval loss and two accumulated micro-batches against the CPU's full batch
      const double erel = rel_err(r.eval_loss, ref.loss);
      pj.set("eval_loss_rel_err", erel);
      if (!(erel <= tol.loss_rel)) {
        ok = false;
        failures.push(Json(std::string(prec) + ": eval (forward_loss) rel err " + std::to_string(erel)));
      }
      if (!r.grads_accum.empty()) {
        double worst_acc = 0;
        std::string worst_acc_name;
        for (const TensorInfo& ti : layout) {
          Cmp c = compare(r.grads_accum.data() + ti.offset, ref.grads.data() + ti.offset, ti.numel);
          if (!(c.rel <= worst_acc)) { worst_acc = c.rel; worst_acc_name = ti.name; }
        }
        pj.set("accum_worst_grad_tensor", worst_acc_name);
        pj.set("accum_worst_grad_rel_err", worst_acc);
        if (!(worst_acc <= tol.grad_rel)) {
          ok = false;
          failures.push(Json(std::string(prec) + ": two accumulated micro-batches vs one batch: gradient of " +
                             worst_acc_name + " rel err " + std::to_string(worst_acc)));
        }
      }
      pj.set("worst_grad_tensor", worst_name);
      pj.set("worst_grad_rel_err", worst);
      // AdamW: compare the parameter updates θ_after − θ0
      if (steps > 0) {
        std::vector<float> du(P), dref(P);
        for (size_t i = 0; i < P; i++) {
          du[i] = r.params_after[i] - p0[i];
          dref[i] = ref.params_after[i] - p0[i];
        }
        Cmp c = compare(du.data(), dref.data(), P);
        pj.set("adamw_update_rel_err", c.rel);
        pj.set("adamw_param_max_abs_err", c.max_abs);
        Json sl = Json::array();
        double worst_step = 0;
        for (size_t k = 0; k < r.step_losses.size(); k++) {
          sl.push(Json(r.step_losses[k]));
          worst_step = std::max(worst_step, rel_err(r.step_losses[k], ref.step_losses[k]));
        }
        pj.set("step_losses", sl);
        pj.set("step_loss_rel_err", worst_step);
        if (!(c.rel <= tol.update_rel)) {
          ok = false;
          failures.push(Json(std::string(prec) + ": AdamW update rel err " + std::to_string(c.rel) + " > " +
                             std::to_string(tol.update_rel)));
        }
        if (!(worst_step <= tol.loss_rel * 10)) {
          ok = false;
          failures.push(Json(std::string(prec) + ": loss during AdamW steps rel err " + std::to_string(worst_step)));
        }
      }
      Json tj = Json::object();
      tj.set("loss_rel", tol.loss_rel);
      tj.set("grad_rel", tol.grad_rel);
      tj.set("grad_norm_rel", tol.gnorm_rel);
      tj.set("adamw_update_rel", tol.update_rel);
      pj.set("tolerances", tj);
      precisions.set(prec, pj);
      if (std::string(prec) == "fp32") {
        grads_fp32 = r.grads;
        loss_fp32 = r.loss;
      } else {
        loss_bf16 = r.loss;
        if (!dump.empty()) write_file(dump + "/grads_cuda_bf16.f32", r.grads.data(), 4 * P);
      }
    }
    out.set("precisions", precisions);
    {
      // the tensor-core kernels against the CUDA-core ones; a failure gates "ok" when they are
      // active (LOCO_CUDA_ATTN / the default), otherwise it is reported
      const AttnImpl active = attention_impl();
      out.set("attention_impl", active == AttnImpl::TC2 ? "tc2" : "simple");
      out.set("attention_tc_active", attention_tc_enabled());
      bool tc_ok = true;
      Json tc_fail = Json::array();
      uint64_t fnv = 0;
      out.set("attention_tc2", check_attention_tc(tc_ok, tc_fail, fnv));
      out.set("attention_tc2_ok", tc_ok);
      char hex[17];
      snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv);
      out.set("attention_tc2_fnv1a", std::string(hex));
      out.set("attention_tc2_variant", attention_impl_name(true, cfg.head_dim()));
      for (auto& f : tc_fail.arr) failures.push(f);
      if (!tc_ok && active == AttnImpl::TC2) ok = false;
    }
    out.set("loss_cuda_fp32", loss_fp32);
    out.set("loss_cuda_bf16", loss_bf16);
    {
      // CUDA graphs and programmatic dependent launch are opt-ins: where this process was asked for one
      // (LOCO_CUDA_GRAPH=1, LOCO_CUDA_PDL=1: gpu-check.sh's variants with them) its difference fails
      // the run; elsewhere it is reported (graphs.ok, pdl.ok and their reasons in opt_in_failures),
      // so that the default's checks stand on their own
      const bool graphs_asked = cuda_graph_enabled(), pdl_asked = cuda_pdl_on();
      bool graphs_ok = true, pdl_ok = true, eager_deterministic = false;
      Json graphs_fail = Json::array(), pdl_fail = Json::array(), opt_in_failures = Json::array();
      GraphRun eager;
      out.set("graphs", check_graphs(cfg, p0, x, y, B, T, lr, graphs_ok, graphs_fail, eager, eager_deterministic));
      out.set("pdl", check_pdl(cfg, p0, x, y, B, T, lr, eager, eager_deterministic, pdl_ok, pdl_fail));
      for (auto& f : graphs_fail.arr) (graphs_asked ? failures : opt_in_failures).push(f);
      for (auto& f : pdl_fail.arr) (pdl_asked ? failures : opt_in_failures).push(f);
      if ((graphs_asked && !graphs_ok) || (pdl_asked && !pdl_ok)) ok = false;
      out.set("opt_in_failures", opt_in_failures);
    }

    // self-check: a 1% error in one small gradient tensor must be caught at the fp32 tolerance
    {
      std::vector<float> bad = grads_fp32;
      const TensorInfo& ti = layout[1 + 2];  // layers.0.wk
      for (size_t i = 0; i < ti.numel; i++) bad[ti.offset + i] *= 1.01f;
      Cmp c = compare(bad.data() + ti.offset, ref.grads.data() + ti.offset, ti.numel);
      const bool caught = !(c.rel <= TOL_FP32.grad_rel);
      out.set("self_check_caught", caught);
      if (!caught) {
        ok = false;
        failures.push(Json("self-check: a 1% corruption of " + ti.name + " passed the fp32 tolerance"));
      }
    }

    if (!dump.empty()) {
      write_file(dump + "/params.f32", p0.data(), 4 * P);
      std::vector<int> tok(x);
      tok.insert(tok.end(), y.begin(), y.end());
      write_file(dump + "/tokens.i32", tok.data(), 4 * tok.size());
      write_file(dump + "/grads_cpu.f32", ref.grads.data(), 4 * P);
      write_file(dump + "/grads_cuda_fp32.f32", grads_fp32.data(), 4 * P);
      Json meta = Json::object();
      meta.set("config", cfg.raw);
      meta.set("seed", (double)seed);
      meta.set("B", B);
      meta.set("T", T);
      meta.set("loss", "mean token loss over the B*T positions; grads are of this mean");
      meta.set("tokens", "tokens.i32 holds x (B*T int32, row-major [B,T]) then y (B*T)");
      meta.set("loss_cpu", ref.loss);
      meta.set("loss_cuda_fp32", loss_fp32);
      meta.set("loss_cuda_bf16", loss_bf16);
      meta.set("grad_norm_cpu", ref.gnorm);
      meta.set("layout", layout_json(layout));
      std::string ms = meta.dump() + "\n";
      write_file(dump + "/meta.json", ms.data(), ms.size());
      out.set("dump", dump);
    }
    out.set("failures", failures);
    out.set("ok", ok);
    printf("%s\n", out.dump().c_str());
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    fail_json("gpu-parity", e.what());
  }
}
