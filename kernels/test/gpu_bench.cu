// build/gpu-bench: training throughput of the CUDA backend (docs/cuda.md, "Benchmark").
//   gpu-bench --config gpt2-124m|1b --tokens 16384 --steps N [--micro B] [--warmup 2] [--precision bf16]
//             [--trace-timed]
// Trains N timed steps (after `warmup` untimed ones) of `tokens` tokens each on synthetic data —
// x uniform over the vocabulary, y = (31·x + 7) mod vocab_size, a mapping the model can learn, so
// the loss visibly falls — as micro-batches of `micro` sequences with gradient accumulation,
// grad-norm clipping at 1 and AdamW, exactly as the engine's `train` does. Prints ONE JSON line.
// MFU counts 6·N·tokens + 12·L·d·T·tokens (attention, PaLM convention) against the dense bf16 peak.
// cudaProfilerStart/Stop (the range `ncu --profile-from-start off` and `nsys --capture-range=
// cudaProfilerApi` record) go around the profiled step after the timed ones, or with --trace-timed
// around the last timed step instead: a step as it runs, without the profile's events between
// launches and with CUDA graphs where they are on (gpu-check.sh's timeline stages).
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backend.h"
#include "cuda/attention.cuh"
#include "cuda/cuda_api.h"
#include "gpu_tools_common.h"

int main(int argc, char** argv) {
  std::string config = "gpt2-124m", precision = "bf16";
  long tokens = 16384;
  int steps = 10, micro = 0, warmup = 2, T = 0;
  bool trace_timed = false;
  double lr = 3e-4;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) fail_json("gpu-bench", "missing value after " + a);
      return argv[++i];
    };
    if (a == "--config") config = val();
    else if (a == "--tokens") tokens = atol(val().c_str());
    else if (a == "--steps") steps = atoi(val().c_str());
    else if (a == "--micro") micro = atoi(val().c_str());
    else if (a == "--warmup") warmup = atoi(val().c_str());
    else if (a == "--seq") T = atoi(val().c_str());
    else if (a == "--precision") precision = val();
    else if (a == "--lr") lr = atof(val().c_str());
    else if (a == "--trace-timed") trace_timed = true;
    else if (a == "--attn") setenv("LOCO_CUDA_ATTN", val().c_str(), 1);  // tc2 | simple
    else fail_json("gpu-bench", "unknown argument " + a);
  }
  Config cfg;
  std::string err;
  if (!named_config(config, cfg, err)) fail_json("gpu-bench", err);
  if (T <= 0) T = cfg.seq_len;
  if (T > cfg.seq_len || tokens % T != 0) fail_json("gpu-bench", "--tokens must be a multiple of the sequence length");
  const int seqs = (int)(tokens / T);
  if (micro <= 0) micro = seqs;
  if (seqs % micro != 0) fail_json("gpu-bench", "--micro must divide tokens/seq_len = " + std::to_string(seqs));
  const int accum = seqs / micro;
  if (steps < 1 || warmup < 0) fail_json("gpu-bench", "bad --steps/--warmup");
  try {
    std::string why;
    if (!cuda_device_present(&why)) fail_json("gpu-bench", why);
    cudaDeviceProp prop;
    int dev = 0;
    cudaGetDevice(&dev);
    cudaGetDeviceProperties(&prop, dev);
    auto be = make_cuda_backend(precision);
    be->configure(cfg);
    be->init_params(1);
    const size_t P = be->num_params();
    const int total = warmup + steps;
    std::vector<int> x((size_t)seqs * T), y((size_t)seqs * T);
    uint64_t s = 12345;
    AdamWHyper h;
    std::vector<double> losses;
    double timed_s = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int step = 0; step < total; step++) {
      if (step == warmup) {
        cudaDeviceSynchronize();
        t0 = std::chrono::steady_clock::now();
      }
      const bool traced = trace_timed && step == total - 1;
      if (traced) cudaProfilerStart();
      for (size_t i = 0; i < x.size(); i++) {
        x[i] = (int)(splitmix64(s) % (uint64_t)cfg.vocab_size);
        y[i] = (int)((31ULL * x[i] + 7) % (uint64_t)cfg.vocab_size);
      }
      be->zero_grad();
      double loss = 0;
      const float scale = (float)(1.0 / (double)tokens);
      for (int a = 0; a < accum; a++)
        loss += be->forward_backward(&x[(size_t)a * micro * T], &y[(size_t)a * micro * T], micro, T, scale);
      const double g = std::sqrt(be->grad_norm_sq());
      const float gs = g > 1.0 ? (float)(1.0 / (g + 1e-6)) : 1.0f;
      be->optimizer_step(h, (float)lr, gs, step + 1);
      if (traced) {
        cudaDeviceSynchronize();  // the range ends after the step's last kernel
        cudaProfilerStop();
      }
      losses.push_back(loss / (double)tokens);
    }
    cudaDeviceSynchronize();
    timed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // one more step with per-category timing (not part of the measurement above)
    Json prof = Json::object();
    {
      cuda_profile_enable(true);
      if (!trace_timed) cudaProfilerStart();  // `ncu --profile-from-start off` profiles this step only
      be->zero_grad();
      const float scale = (float)(1.0 / (double)tokens);
      for (int a = 0; a < accum; a++)
        be->forward_backward(&x[(size_t)a * micro * T], &y[(size_t)a * micro * T], micro, T, scale);
      if (!trace_timed) cudaProfilerStop();
      cuda_profile_enable(false);
      double sum = 0;
      for (auto& kv : cuda_profile_take()) {
        prof.set(kv.first, kv.second);
        sum += kv.second;
      }
      prof.set("total_forward_backward", sum);
    }
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    // attention alone (all layers of one micro-batch), to see its share of the step
    double att_fwd_ms = 0, att_bwd_ms = 0;
    if (precision == "bf16") {
      const int H = cfg.n_heads, hd = cfg.head_dim(), d = cfg.d_model;
      const size_t BT = (size_t)micro * T;
      bf16 *qkv, *y, *dy, *dqkv;
      float *lse, *D;
      if (cudaMalloc(&qkv, 2 * BT * 3 * d) == cudaSuccess && cudaMalloc(&dqkv, 2 * BT * 3 * d) == cudaSuccess &&
          cudaMalloc(&y, 2 * BT * d) == cudaSuccess && cudaMalloc(&dy, 2 * BT * d) == cudaSuccess &&
          cudaMalloc(&lse, 4 * BT * H) == cudaSuccess && cudaMalloc(&D, 4 * BT * H) == cudaSuccess) {
        cudaMemset(qkv, 0, 2 * BT * 3 * d);
        cudaMemset(dy, 0, 2 * BT * d);
        cudaEvent_t e0, e1, e2;
        cudaEventCreate(&e0); cudaEventCreate(&e1); cudaEventCreate(&e2);
        const int reps = 3;
        cudaEventRecord(e0);
        for (int r = 0; r < reps; r++) k_attention_forward<bf16>(y, lse, qkv, micro, T, H, hd);
        cudaEventRecord(e1);
        for (int r = 0; r < reps; r++) k_attention_backward<bf16>(dqkv, D, qkv, y, dy, lse, micro, T, H, hd);
        cudaEventRecord(e2);
        cudaEventSynchronize(e2);
        float f = 0, b = 0;
        cudaEventElapsedTime(&f, e0, e1);
        cudaEventElapsedTime(&b, e1, e2);
        att_fwd_ms = f / reps * cfg.n_layers * accum;
        att_bwd_ms = b / reps * cfg.n_layers * accum;
      }
      cudaGetLastError();
    }
    const double step_s = timed_s / steps;
    const double flops = 6.0 * (double)P * tokens + 12.0 * cfg.n_layers * cfg.d_model * (double)T * tokens;
    const std::string name = prop.name;
    double peak = 989e12;
    bool assumed = true;
    if (name.find("H100") != std::string::npos || name.find("H200") != std::string::npos) assumed = false;
    else if (name.find("A100") != std::string::npos) { peak = 312e12; assumed = false; }
    Json j = Json::object();
    j.set("tool", "gpu-bench");
    j.set("config", config);
    j.set("device_name", name);
    j.set("describe", be->describe());
    j.set("precision", precision);
    j.set("params", (double)P);
    j.set("seq_len", T);
    j.set("micro", micro);
    j.set("grad_accum", accum);
    j.set("steps", steps);
    j.set("warmup", warmup);
    j.set("tokens_per_step", (double)tokens);
    j.set("tokens_per_s", tokens / step_s);
    j.set("step_ms", step_s * 1e3);
    j.set("tflops", flops / step_s / 1e12);
    j.set("mfu", flops / step_s / peak);
    j.set("peak_flops", peak);
    j.set("peak_assumed", assumed);
    j.set("peak_mem_bytes", (double)(total_b - free_b));
    j.set("allocator_peak_bytes", (double)cuda_allocated_peak_bytes());
    j.set("profile_ms", prof);
    {
      // CUDA graphs (LOCO_CUDA_GRAPH=1): each micro-batch shape is captured at its second step (in the
      // warmup when warmup >= 2), so the timed steps replay it
      const CudaGraphStats gs = cuda_graph_stats();
      Json gj = Json::object();
      gj.set("enabled", cuda_graph_enabled());
      gj.set("captured", (double)gs.captured);
      gj.set("launched", (double)gs.launched);
      gj.set("capture_failures", (double)gs.failed);
      if (gs.failed > 0) gj.set("last_failure", gs.last_failure);
      j.set("graphs", gj);
    }
    j.set("attention_fwd_ms_per_step", att_fwd_ms);
    j.set("attention_bwd_ms_per_step", att_bwd_ms);
    j.set("loss_first", losses.front());
    j.set("loss_last", losses.back());
    j.set("ok", std::isfinite(losses.back()) && losses.back() < losses.front());
    printf("%s\n", j.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    fail_json("gpu-bench", e.what());
  }
}
