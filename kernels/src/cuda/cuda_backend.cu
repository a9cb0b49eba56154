// CUDA backend (docs/cuda.md): parameters, gradients and AdamW state on the device in fp32 (master
// weights); activations in T = bf16 (tensor-core matmuls through cuBLASLt, fp32 accumulation) or
// T = float (precision fp32: our own fp32 matmul, for tight parity with the CPU engine). The
// residual stream, norm statistics, logits and every parameter gradient stay fp32.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "../backend.h"
#include "../ops.h"
#include "../update.h"
#include "../model.h"
#include "../token_groups.h"
#include "adamw_pieces.h"
#include "attention.cuh"
#include "common.cuh"
#include "cuda_api.h"
#include "cuda_targets.h"
#include "gemm.h"
#include "ops.cuh"
#include "step_graph.h"

// ---- errors and allocation ----------------------------------------------------------------------
static bool g_sync_each = getenv("LOCO_CUDA_SYNC") && getenv("LOCO_CUDA_SYNC")[0] == '1';
static size_t g_alloc_now = 0, g_alloc_peak = 0;

void cuda_fail(cudaError_t e, const char* what, const char* file, int line) {
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw std::bad_alloc();
  }
  char buf[512];
  snprintf(buf, sizeof buf, "CUDA error %s (%s) in %s at %s:%d", cudaGetErrorName(e), cudaGetErrorString(e), what, file,
           line);
  throw std::runtime_error(buf);
}

void cuda_launch_check(const char* name, const char* file, int line) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess && g_sync_each) e = cudaDeviceSynchronize();
  if (e != cudaSuccess) cuda_fail(e, name, file, line);
}

// ---- optional per-category timing of a step (cuda_profile_enable; gpu-bench reports it) ------------
static bool g_prof_on = false;
static std::vector<cudaEvent_t> g_prof_ev;
static std::vector<const char*> g_prof_label;
static size_t g_prof_n = 0;
static std::vector<std::pair<std::string, double>> g_prof_ms;
static void prof_mark(const char* label) {
  if (!g_prof_on) return;
  if (g_prof_n == g_prof_ev.size()) {
    cudaEvent_t e;
    CUDA_CHECK(cudaEventCreate(&e));
    g_prof_ev.push_back(e);
    g_prof_label.push_back(nullptr);
  }
  CUDA_CHECK(cudaEventRecord(g_prof_ev[g_prof_n], engine_stream()));
  g_prof_label[g_prof_n++] = label;
}
// attributes the time between consecutive marks to the later mark's label
static void prof_collect() {
  if (!g_prof_on || g_prof_n < 2) { g_prof_n = 0; return; }
  CUDA_CHECK(cudaEventSynchronize(g_prof_ev[g_prof_n - 1]));
  for (size_t i = 1; i < g_prof_n; i++) {
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, g_prof_ev[i - 1], g_prof_ev[i]));
    bool found = false;
    for (auto& kv : g_prof_ms)
      if (kv.first == g_prof_label[i]) { kv.second += ms; found = true; }
    if (!found) g_prof_ms.emplace_back(g_prof_label[i], ms);
  }
  g_prof_n = 0;
}
void cuda_profile_enable(bool on) { g_prof_on = on; g_prof_n = 0; }
std::vector<std::pair<std::string, double>> cuda_profile_take() {
  auto r = g_prof_ms;
  g_prof_ms.clear();
  return r;
}

// LOCO_CUDA_ADAMW=grouped: AdamW as before 2026-11-28, a launch per run of tensors with the same decay
// (about 50 per gpt2-124m step), instead of one launch over all of them
static bool adamw_grouped() {
  static const bool grouped = env_picks("LOCO_CUDA_ADAMW", "one", "grouped");
  return grouped;
}
// LOCO_CUDA_NORM_DG=each: each RMSNorm backward adds its norm-scale gradient with a launch of its own,
// as before 2026-11-28, instead of all 2·L + 1 of them in one launch at the end of the backward (the
// same sums)
static bool norm_dg_each() {
  static const bool each = env_picks("LOCO_CUDA_NORM_DG", "one", "each");
  return each;
}
// LOCO_CUDA_NORM_DY=bf16 (opt-in; bf16 activations only): the matmuls that give each RMSNorm backward
// its incoming gradient write it in bf16 instead of fp32, as PyTorch's autocast does: half the bytes of
// that write and of the norm's read of it (about 50 MB per norm at gpt2-124m's 16k tokens). Not the same
// bits: the gradient is rounded to bf16 before the norm (its residual gradient stays fp32).
static bool norm_dy_bf16() {
  static const bool on = env_picks("LOCO_CUDA_NORM_DY", "fp32", "bf16");
  return on;
}

// CUDA graphs of the step: LOCO_CUDA_GRAPH=1 or cuda_graph_enable (step_graph.h)
static bool g_graphs_on = env_is("LOCO_CUDA_GRAPH", "1");
void cuda_graph_enable(bool on) { g_graphs_on = on; }
bool cuda_graph_enabled() { return g_graphs_on; }
CudaGraphStats cuda_graph_stats() { return step_graph_stats(); }
void cuda_pdl_enable(bool on) { k_pdl_enable(on); }
bool cuda_pdl_on() { return k_pdl_on(); }
// ... where nothing else forbids them: the profile's events and LOCO_CUDA_SYNC's waits are per launch
static bool graphs_now() { return g_graphs_on && !g_prof_on && !g_sync_each; }

size_t cuda_allocated_bytes() { return g_alloc_now; }
size_t cuda_allocated_peak_bytes() { return g_alloc_peak; }

namespace {

struct DevBuf {
  void* p = nullptr;
  size_t bytes = 0;
  DevBuf() = default;
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  ~DevBuf() { release(); }
  void release() {
    if (p) {
      cudaFree(p);
      g_alloc_now -= bytes;
      engine_buffer_freed();  // a CUDA graph that used it is captured again
    }
    p = nullptr;
    bytes = 0;
  }
  // Grows to at least n bytes (contents are not kept).
  void ensure(size_t n) {
    if (n <= bytes) return;
    release();
    CUDA_CHECK(cudaMalloc(&p, n));
    bytes = n;
    g_alloc_now += n;
    g_alloc_peak = std::max(g_alloc_peak, g_alloc_now);
  }
  template <typename X>
  X* as() const { return (X*)p; }
};

// Page-locked host memory (cudaMallocHost), so copies from and to it are truly asynchronous.
struct PinnedBuf {
  void* p = nullptr;
  size_t bytes = 0;
  PinnedBuf() = default;
  PinnedBuf(const PinnedBuf&) = delete;
  PinnedBuf& operator=(const PinnedBuf&) = delete;
  ~PinnedBuf() { release(); }
  void release() {
    if (p) cudaFreeHost(p);
    p = nullptr;
    bytes = 0;
  }
  void ensure(size_t n) {
    if (n <= bytes) return;
    release();
    CUDA_CHECK(cudaMallocHost(&p, n));
    bytes = n;
  }
  template <typename X>
  X* as() const { return (X*)p; }
};

template <typename T>
class CudaBackend final : public Backend {
  static constexpr bool BF = std::is_same<T, bf16>::value;
  static constexpr DType ACT = BF ? DType::BF16 : DType::F32;
  // bf16 precision: the head matmul writes bf16 logits, as under PyTorch's autocast, and the
  // cross-entropy reads them (half the bytes of fp32 logits both ways; fp32 arithmetic on the rounded
  // values). Measured on an H100 (docs/benchmarks.md, h100-6): cross-entropy 2.68 → 1.97 ms per
  // gpt2-124m step, 421.4k → 428.8k tokens/s. LOCO_CUDA_LOGITS=fp32 keeps fp32 logits.
  static bool logits_bf16() {
    static const bool on = BF && !env_is("LOCO_CUDA_LOGITS", "fp32");
    return on;
  }
  // LOCO_CUDA_HEAD_ROWS=N: the head's row chunk (0, unset: what fits 512 MiB of logits, 1778 rows at
  // gpt2's vocabulary: nine chunks of a 16k-token step, each a weight-gradient matmul whose fp32 dE is
  // read and written again). Read at start: a value that is not a positive count stops the backend.
  static size_t head_rows_setting() {
    static const size_t rows = (size_t)env_count("LOCO_CUDA_HEAD_ROWS", 1, 1LL << 24, 0, " of rows");
    return rows;
  }

 public:
  CudaBackend() {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaGetDeviceProperties(&prop_, dev));
    attention_tc2_check_env();
    head_rows_setting();
    adamw_grouped();
    norm_dg_each();
    norm_dy_bf16();
    gemm_tune_algos();
    k_pdl_on();
    gopts_.use_lt = false;
    if (BF) {
      const char* g = getenv("LOCO_CUDA_GEMM");
      if (g && std::string(g) == "own") {
        gemm_desc_ = "own (LOCO_CUDA_GEMM=own)";
      } else {
        std::string why;
        if (gemm_lt_load(&why)) {
          gopts_.use_lt = true;
          gemm_desc_ = gemm_lt_describe();
        } else {
          fprintf(stderr, "loco-engine: %s; bf16 matmuls use the built-in kernel (slow)\n", why.c_str());
          gemm_desc_ = "own (no cuBLASLt)";
        }
      }
    } else {
      gemm_desc_ = "own fp32";
    }
  }
  std::string name() const override { return "cuda"; }
  std::string describe() const override {
    return std::string("cuda, ") + prop_.name + ", " + std::to_string(prop_.multiProcessorCount) + " SMs, precision=" +
           (BF ? "bf16" : "fp32") + ", gemm=" + gemm_desc_ + ", attention=" + attention_impl_name(BF, cfg_.n_heads ? cfg_.head_dim() : 0) +  // 0: not configured yet
           (logits_bf16() ? ", logits=bf16" : "") +
           (logits_bf16() && env_is("LOCO_CUDA_CE", "cpasync") ? ", ce=cpasync" : "") +
           (logits_bf16() && env_is("LOCO_CUDA_CE", "exp2") ? ", ce=exp2" : "") +
           (g_graphs_on ? ", graphs=on" : "") + (adamw_grouped() ? ", adamw=grouped" : "") +
           (norm_dg_each() ? ", norm dg=each" : "") + (BF && norm_dy_bf16() ? ", norm dy=bf16" : "") + (k_pdl_on() ? ", pdl=on" : "") +
           (head_rows_setting() ? ", head rows " + std::to_string(head_rows_setting()) : "");
  }

  void configure(const Config& c) override {
    if (!attention_supports_head_dim(c.head_dim()))
      throw std::runtime_error("the CUDA backend supports head_dim 16, 32, 64 or 128; this config has " +
                               std::to_string(c.head_dim()));
    cfg_ = c;
    step_graphs_.clear();  // captured with the old config's sizes
    layout_ = param_layout(c);
    P_ = layout_.back().offset + layout_.back().numel;
    lo_.assign(c.n_layers, LOff{});
    for (int l = 0; l < c.n_layers; l++) {
      const std::string p = "layers." + std::to_string(l) + ".";
      lo_[l] = {off(p + "attn_norm"), off(p + "wq"), off(p + "wo"), off(p + "mlp_norm"), off(p + "w_gate"),
                off(p + "w_down")};
    }
    fn_ = off("final_norm");
    cap_bt_ = 0;
    for (DevBuf* b : all_act_) b->release();
    params_.ensure(4 * P_);
    grads_.ensure(4 * P_);
    m_.ensure(4 * P_);
    v_.ensure(4 * P_);
    CUDA_CHECK(cudaMemset(params_.p, 0, 4 * P_));
    CUDA_CHECK(cudaMemset(grads_.p, 0, 4 * P_));
    CUDA_CHECK(cudaMemset(m_.p, 0, 4 * P_));
    CUDA_CHECK(cudaMemset(v_.p, 0, 4 * P_));
    if (BF) {
      wbf_.ensure(2 * P_);
      CUDA_CHECK(cudaMemset(wbf_.p, 0, 2 * P_));
    }
    sumsq_.ensure(sizeof(double) * SUMSQ_BLOCKS);
    // where each norm's scale gradient goes, in the backward's order (the final norm, then per layer
    // from the last: mlp_norm, attn_norm): k_rmsnorm_dg_reduce_many's table
    std::vector<size_t> norm_off{off("final_norm")};
    for (int l = c.n_layers - 1; l >= 0; l--) norm_off.insert(norm_off.end(), {lo_[l].mn, lo_[l].an});
    norm_count_ = norm_off.size();
    norm_off_.ensure(sizeof(size_t) * norm_off.size());
    CUDA_CHECK(cudaMemcpy(norm_off_.p, norm_off.data(), sizeof(size_t) * norm_off.size(), cudaMemcpyHostToDevice));
    decay_bits_.release();
    if (!adamw_grouped()) {
      std::vector<unsigned> bits = decay_piece_bits(layout_);
      if (!bits.empty()) {
        decay_bits_.ensure(4 * bits.size());
        CUDA_CHECK(cudaMemcpy(decay_bits_.p, bits.data(), 4 * bits.size(), cudaMemcpyHostToDevice));
      }
    }
    // RoPE tables exactly as the CPU engine's (rope.cpp)
    std::vector<float> cs, sn;
    rope_tables(c.seq_len, c.head_dim(), c.rope_theta, cs, sn);
    rope_cs_.ensure(4 * cs.size());
    rope_sn_.ensure(4 * sn.size());
    CUDA_CHECK(cudaMemcpy(rope_cs_.p, cs.data(), 4 * cs.size(), cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(rope_sn_.p, sn.data(), 4 * sn.size(), cudaMemcpyHostToDevice));
  }

  void init_params(uint64_t seed) override {
    std::vector<float> p(P_);  // on the host, with the CPU model's code: the same bits
    init_parameters(p.data(), layout_, cfg_, seed);
    write_params(p.data());
  }
  size_t num_params() const override { return P_; }
  // No memset: the next backward writes every gradient tensor instead of adding to it (the first
  // matmul or reduce into each one with β = 0), and whatever reads the gradients before a backward
  // has run zeroes them first (settle_grads). LOCO_CUDA_GRAD_ZERO=memset: the memset, and every
  // backward adding, as before 2026-11-27.
  void zero_grad() override {
    static const bool memset = env_is("LOCO_CUDA_GRAD_ZERO", "memset");
    grads_unset_ = true;
    if (memset) settle_grads();
  }

  double forward_backward(const int* x, const int* y, int B, int Tn, float loss_scale) override {
    return run(x, y, B, Tn, true, loss_scale);
  }
  double forward_loss(const int* x, const int* y, int B, int Tn) override { return run(x, y, B, Tn, false, 0.f); }

  double grad_norm_sq() override {
    settle_grads();
    k_sum_squares(sumsq_.as<double>(), grads_.as<float>(), P_);
    double part[SUMSQ_BLOCKS];
    CUDA_CHECK(cudaMemcpy(part, sumsq_.p, sizeof part, cudaMemcpyDeviceToHost));
    double s = 0;
    for (double v : part) s += v;
    return s;
  }

  void optimizer_step(const AdamWHyper& h, float lr, float grad_scale, long t) override {
    settle_grads();
    const float bc1 = (float)(1.0 - std::pow((double)h.beta1, (double)t));
    const float bc2 = (float)(1.0 - std::pow((double)h.beta2, (double)t));
    // one launch for every tensor, each piece's weight decay from its bit (about 50 launches fewer per
    // step on gpt2-124m, the same arithmetic per element)
    if (decay_bits_.p && k_adamw_pieces(params_.as<float>(), grads_.as<float>(), m_.as<float>(), v_.as<float>(),
                                        BF ? wbf_.as<bf16>() : nullptr, decay_bits_.as<unsigned>(), P_, lr, h.beta1,
                                        h.beta2, h.eps, h.weight_decay, grad_scale, bc1, bc2))
      return;
    // LOCO_CUDA_ADAMW=grouped, or a layout not in whole pieces: consecutive tensors with the same
    // weight decay in one launch (wq…wo, w_gate…w_down), about 4 launches per layer
    for (size_t i = 0; i < layout_.size();) {
      size_t j = i + 1;
      while (j < layout_.size() && layout_[j].decay() == layout_[i].decay() &&
             layout_[j].offset == layout_[j - 1].offset + layout_[j - 1].numel)
        j++;
      const size_t o = layout_[i].offset, n = layout_[j - 1].offset + layout_[j - 1].numel - o;
      k_adamw(params_.as<float>() + o, grads_.as<float>() + o, m_.as<float>() + o, v_.as<float>() + o,
              BF ? wbf_.as<bf16>() + o : nullptr, n, lr, h.beta1, h.beta2, h.eps,
              layout_[i].decay() ? h.weight_decay : 0.0f, grad_scale, bc1, bc2);
      i = j;
    }
  }

  void read_params(float* dst) override { CUDA_CHECK(cudaMemcpy(dst, params_.p, 4 * P_, cudaMemcpyDeviceToHost)); }
  void write_params(const float* src) override {
    CUDA_CHECK(cudaMemcpy(params_.p, src, 4 * P_, cudaMemcpyHostToDevice));
    refresh_weights();
  }
  void read_grads(float* dst) override {
    settle_grads();
    CUDA_CHECK(cudaMemcpy(dst, grads_.p, 4 * P_, cudaMemcpyDeviceToHost));
  }
  void read_optimizer(float* m, float* v) override {
    CUDA_CHECK(cudaMemcpy(m, m_.p, 4 * P_, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(v, v_.p, 4 * P_, cudaMemcpyDeviceToHost));
  }
  void write_optimizer(const float* m, const float* v) override {
    if (m) CUDA_CHECK(cudaMemcpy(m_.p, m, 4 * P_, cudaMemcpyHostToDevice));
    else CUDA_CHECK(cudaMemset(m_.p, 0, 4 * P_));
    if (v) CUDA_CHECK(cudaMemcpy(v_.p, v, 4 * P_, cudaMemcpyHostToDevice));
    else CUDA_CHECK(cudaMemset(v_.p, 0, 4 * P_));
  }
  void add_dense(float alpha, const float* u) override {
    // staged in 16M-element chunks (no second P-sized device buffer)
    const size_t CH = (size_t)1 << 24;
    stage_.ensure(4 * std::min(CH, P_));
    for (size_t o = 0; o < P_; o += CH) {
      const size_t n = std::min(CH, P_ - o);
      CUDA_CHECK(cudaMemcpy(stage_.p, u + o, 4 * n, cudaMemcpyHostToDevice));
      k_axpy(params_.as<float>() + o, stage_.as<float>(), alpha, n);
    }
    refresh_weights();
  }
  void add_sparse(float alpha, const uint32_t* idx, const float* val, size_t n) override {
    // exact file-order semantics (duplicates accumulate in order), the CPU engine's code: on a host copy
    std::vector<float> p(P_);
    read_params(p.data());
    apply_sparse_update(p.data(), idx, val, n, alpha);
    write_params(p.data());
  }
  void gather_params(const uint64_t* idx, size_t n, float* out) override {
    if (n == 0) return;
    stage_.ensure(std::max<size_t>(12 * n, stage_.bytes));
    uint64_t* di = stage_.as<uint64_t>();
    float* dv = (float*)(di + n);
    CUDA_CHECK(cudaMemcpy(di, idx, 8 * n, cudaMemcpyHostToDevice));
    k_gather(dv, params_.as<float>(), di, n);
    CUDA_CHECK(cudaMemcpy(out, dv, 4 * n, cudaMemcpyDeviceToHost));
  }

 private:
  cudaDeviceProp prop_;
  std::string gemm_desc_;
  GemmOpts gopts_;
  Config cfg_;
  std::vector<TensorInfo> layout_;
  size_t P_ = 0;
  DevBuf params_, grads_, m_, v_, wbf_, sumsq_, rope_cs_, rope_sn_, stage_;
  // AdamW in one launch over all parameters (k_adamw_pieces): bit i set where elements 4i…4i+3 take
  // weight decay; empty where a tensor does not hold whole 4-element pieces, or LOCO_CUDA_ADAMW=grouped
  DevBuf decay_bits_;
  DevBuf norm_off_;  // size_t[norm_count_]: the norm-scale gradients' offsets in the backward's order
  size_t norm_count_ = 0;  // the model's RMSNorms, 2·L + 1
  // activations (per layer, contiguous) and backward scratch, sized for cap_bt_ = B·T tokens
  size_t cap_bt_ = 0, head_rows_ = 0;
  DevBuf res_, hmid_, a_, arstd_, qkv_, atty_, lse_, mln_, mrstd_, gu_, s_, hf_, frstd_;
  DevBuf dres_, dres_act_, dmf_, ds_, dgu_, dy_, dqkv_, dsc_, dgscr_;
  // tok_: the step's integers, [x | y | pos | uniq | starts] (BT, BT, BT, BT, BT + 1), uploaded
  // asynchronously from the pinned tok_h_ (x, y at the start, the groups before the embedding
  // backward); row losses come back into the pinned loss_h_.
  DevBuf logits_, dlogits_, row_loss_, tok_;
  DevBuf* all_act_[26] = {&res_, &hmid_, &a_,     &arstd_,    &qkv_,      &atty_, &lse_,    &mln_,
                          &mrstd_, &gu_, &s_,   &hf_,    &frstd_,    &dres_,     &dres_act_, &dmf_,
                          &ds_,  &dgu_,  &dy_,    &dqkv_,     &dsc_,      &dgscr_, &logits_, &dlogits_,
                          &row_loss_, &tok_};
  PinnedBuf tok_h_, loss_h_;
  StepGraphs step_graphs_;
  // zero_grad() was called and no backward has run since: the gradients are zero by contract, but
  // their memory holds the last step's; the next backward overwrites them
  bool grads_unset_ = false;
  void settle_grads() {
    if (!grads_unset_) return;
    CUDA_CHECK(cudaMemsetAsync(grads_.p, 0, 4 * P_, engine_stream()));  // stream-ordered, no host wait
    grads_unset_ = false;
  }
  std::vector<int> token_cursor_;  // group_positions_by_token's scratch (vocab ints), kept between steps
  bool in_flight_ = false;  // copies from/to the pinned buffers may still be pending
  struct LOff { size_t an, wq, wo, mn, wg, wd; };
  std::vector<LOff> lo_;
  size_t fn_ = 0;

  const T* weights() const { return BF ? (const T*)wbf_.p : (const T*)params_.p; }
  void refresh_weights() {
    if (BF) k_to_bf16(wbf_.as<bf16>(), params_.as<float>(), P_);
  }

  void ensure(size_t BT) {
    if (BT <= cap_bt_) return;
    cap_bt_ = 0;  // until every buffer below is allocated (an allocation failure leaves none usable)
    const size_t d = cfg_.d_model, F = cfg_.d_ff, L = cfg_.n_layers, H = cfg_.n_heads, Vp = cfg_.padded_vocab_size;
    const size_t t = sizeof(T);
    res_.ensure(4 * (L + 1) * BT * d);
    hmid_.ensure(4 * L * BT * d);
    a_.ensure(t * L * BT * d);
    arstd_.ensure(4 * L * BT);
    qkv_.ensure(t * L * BT * 3 * d);
    atty_.ensure(t * L * BT * d);
    lse_.ensure(4 * L * BT * H);
    mln_.ensure(t * L * BT * d);
    mrstd_.ensure(4 * L * BT);
    gu_.ensure(t * L * BT * 2 * F);
    s_.ensure(t * L * BT * F);
    hf_.ensure(t * BT * d);
    frstd_.ensure(4 * BT);
    dres_.ensure(4 * BT * d);
    dres_act_.ensure(t * BT * d);
    dmf_.ensure(4 * BT * d);
    ds_.ensure(t * BT * F);
    dgu_.ensure(t * BT * 2 * F);
    dy_.ensure(t * BT * d);
    dqkv_.ensure(t * BT * 3 * d);
    dsc_.ensure(4 * BT * H);
    // the norm-scale gradients' partials: one call's at a time, or every call's until the one reduce
    dgscr_.ensure(4 * rmsnorm_dg_scratch((int)BT, (int)d) * (norm_dg_each() ? 1 : norm_count_));
    // the head works on row chunks: fp32 logits + T dlogits of head_rows_ × Vp, about 512 MiB at most;
    // with LOCO_CUDA_HEAD_ROWS, that many rows and logits of their own width (bf16 or fp32)
    const size_t budget = (size_t)512 << 20;
    const size_t set_rows = head_rows_setting();
    head_rows_ = set_rows ? std::min<size_t>(BT, set_rows) : std::max<size_t>(1, std::min<size_t>(BT, budget / (Vp * (4 + t))));
    logits_.ensure((set_rows && logits_bf16() ? 2 : 4) * head_rows_ * Vp);
    dlogits_.ensure(t * head_rows_ * Vp);
    row_loss_.ensure(4 * BT);
    tok_.ensure(4 * (5 * BT + 1));
    tok_h_.ensure(4 * (5 * BT + 1));
    loss_h_.ensure(4 * BT);
    cap_bt_ = BT;
  }

  size_t off(const std::string& name) const {
    for (const TensorInfo& t : layout_)
      if (t.name == name) return t.offset;
    throw std::runtime_error("no tensor " + name);
  }

  double run(const int* x, const int* y, int B, int Tn, bool grad, float loss_scale) {
    if (Tn > cfg_.seq_len) throw std::runtime_error("sequence longer than config.seq_len");
    const size_t BT = (size_t)B * Tn;
    if (in_flight_) {  // an earlier run() stopped by an exception: its copies may still use the pinned buffers
      CUDA_CHECK(cudaStreamSynchronize(engine_stream()));
      in_flight_ = false;
    }
    ensure(BT);
    // x and y checked (an id outside the vocabulary would read past the embedding and the logits)
    // and uploaded in one asynchronous copy; the embedding backward's grouping of positions by token
    // is made on the host once the whole step is queued, so the GPU never waits for it
    check_batch_tokens(x, y, BT, cfg_.vocab_size);
    int* th = tok_h_.as<int>();
    int *hx = th, *hy = th + BT, *hpos = th + 2 * BT, *huniq = th + 3 * BT, *hstarts = th + 4 * BT;
    std::memcpy(hx, x, 4 * BT);
    std::memcpy(hy, y, 4 * BT);
    in_flight_ = true;
    CUDA_CHECK(cudaMemcpyAsync(tok_.p, th, 4 * 2 * BT, cudaMemcpyHostToDevice, engine_stream()));
    // β of the first write into each gradient tensor: 0 right after zero_grad (overwrite: the same
    // values as adding to zeros), else 1 (accumulate micro-batches)
    const float gb = grad && grads_unset_ ? 0.f : 1.f;
    if (grad) grads_unset_ = false;
    prof_mark("start");
    // everything from the embedding to the first layer's backward: replayed as a CUDA graph where
    // graphs are on, else launched one by one
    step_graphs_.run(StepKey{B, Tn, grad, gb == 0.f, loss_scale}, graphs_now(), [&] { enqueue_step(B, Tn, grad, loss_scale, gb); });
    // the row losses come back asynchronously; the host waits for them only at the end of run()
    CUDA_CHECK(cudaMemcpyAsync(loss_h_.p, row_loss_.p, 4 * BT, cudaMemcpyDeviceToHost, engine_stream()));
    if (grad) {
      // embedding, added to the head matmul's dE: positions grouped by token (token_groups.h: pos
      // sorted by (token, position), so each token's rows are summed in position order, deterministic
      // with no atomics). The host makes the groups here, with the step queued ahead of it, and
      // uploads [pos | uniq[U]] and starts[U + 1]. Not in the graph: U and the groups change each step.
      const int U = group_positions_by_token(x, BT, cfg_.vocab_size, hpos, huniq, hstarts, token_cursor_);
      int* dpos = tok_.as<int>() + 2 * BT;
      CUDA_CHECK(cudaMemcpyAsync(dpos, hpos, 4 * (BT + (size_t)U), cudaMemcpyHostToDevice, engine_stream()));
      CUDA_CHECK(cudaMemcpyAsync(dpos + 2 * BT, hstarts, 4 * ((size_t)U + 1), cudaMemcpyHostToDevice, engine_stream()));
      k_embed_backward(grads_.as<float>(), dres_.as<float>(), dpos + BT, dpos + 2 * BT, dpos, U, cfg_.d_model);
      prof_mark("embed");
    }
    CUDA_CHECK(cudaStreamSynchronize(engine_stream()));
    in_flight_ = false;
    prof_collect();
    double loss = 0;
    const float* rl = loss_h_.as<float>();
    for (size_t i = 0; i < BT; i++) loss += rl[i];
    return loss;
  }

  // Queues one micro-batch's forward (and with grad its backward down to the embedding) on the
  // engine's stream: only device work with sizes and addresses fixed by (B, Tn) and the buffers, and
  // the values of grad, loss_scale and gb — what a CUDA graph of it replays (step_graph.h). The token
  // ids are already in tok_ (x, y).
  void enqueue_step(int B, int Tn, bool grad, float loss_scale, float gb) {
    const size_t BT = (size_t)B * Tn;
    const int d = cfg_.d_model, F = cfg_.d_ff, L = cfg_.n_layers, H = cfg_.n_heads, hd = cfg_.head_dim();
    const int V = cfg_.vocab_size, Vp = cfg_.padded_vocab_size;
    const int N = (int)BT;
    const size_t A = BT * d;
    const int* xd = tok_.as<int>();
    const int* yd = xd + BT;
    float* P = params_.as<float>();
    float* G = grads_.as<float>();
    const T* W = weights();
    float* res = res_.as<float>();
    float* hmid = hmid_.as<float>();
    T *a = a_.as<T>(), *qkv = qkv_.as<T>(), *atty = atty_.as<T>(), *mln = mln_.as<T>(), *gu = gu_.as<T>(),
      *s = s_.as<T>(), *hf = hf_.as<T>();
    float *arstd = arstd_.as<float>(), *mrstd = mrstd_.as<float>(), *lse = lse_.as<float>(), *frstd = frstd_.as<float>();
    const float eps = (float)cfg_.norm_eps;
    const float* cs = rope_cs_.as<float>();
    const float* sn = rope_sn_.as<float>();
    const bool rope_fused = attention_rope_fused<T>(hd);
    // the attention rotates q, k itself exactly when it is given the tables: only when RoPE is fused
    // (otherwise k_rope has rotated them already, and a second rotation would be wrong); with
    // LOCO_CUDA_ROPE_BWD=fused the backward kernels get them to rotate dq, dk back instead of the
    // inverse k_rope pass
    const bool rope_bwd_fused = attention_rope_bwd_fused<T>(hd);
    const float* att_cs = rope_fused ? cs : nullptr;
    const float* att_sn = rope_fused ? sn : nullptr;
    const float* bwd_cs = rope_fused || rope_bwd_fused ? cs : nullptr;
    const float* bwd_sn = rope_fused || rope_bwd_fused ? sn : nullptr;
    const std::vector<LOff>& lo = lo_;
    const size_t fn = fn_;

    k_embed_forward(res, P, xd, N, d); prof_mark("embed");
    for (int l = 0; l < L; l++) {
      float* hin = res + l * A;
      float* hm = hmid + l * A;
      float* hout = res + (l + 1) * A;
      T* al = a + l * A;
      T* ql = qkv + l * 3 * A;
      T* yl = atty + l * A;
      T* ml = mln + l * A;
      T* gl = gu + l * 2 * BT * F;
      T* sl = s + l * BT * F;
      k_rmsnorm_forward<T>(al, arstd + l * BT, hin, P + lo[l].an, N, d, eps); prof_mark("norm");
      // q, k, v in one matmul: wq, wk, wv are consecutive [3d, d]
      gemm(false, true, N, 3 * d, d, al, d, W + lo[l].wq, d, ql, 3 * d, ACT, ACT, 1.f, 0.f, gopts_); prof_mark("matmul");
      // q, k stay unrotated in qkv when the attention applies RoPE itself (tc2 with LOCO_CUDA_ROPE_FUSED=1)
      if (!rope_fused) { k_rope<T>(ql, cs, sn, B, Tn, H, hd, false); prof_mark("rope"); }
      k_attention_forward<T>(yl, lse + l * BT * H, ql, B, Tn, H, hd, att_cs, att_sn); prof_mark("attention");
      // h_mid = h_in + y·woᵀ (the matmul reads h_in as its addend and writes h_mid: no copy)
      gemm(false, true, N, d, d, yl, d, W + lo[l].wo, d, hm, d, ACT, DType::F32, 1.f, 1.f, gopts_, hin); prof_mark("matmul");
      k_rmsnorm_forward<T>(ml, mrstd + l * BT, hm, P + lo[l].mn, N, d, eps); prof_mark("norm");
      // gate and up in one matmul: w_gate, w_up are consecutive [2F, d]
      gemm(false, true, N, 2 * F, d, ml, d, W + lo[l].wg, d, gl, 2 * F, ACT, ACT, 1.f, 0.f, gopts_); prof_mark("matmul");
      k_swiglu_forward<T>(sl, gl, N, F); prof_mark("swiglu");
      // h_out = h_mid + s·w_downᵀ
      gemm(false, true, N, d, F, sl, F, W + lo[l].wd, F, hout, d, ACT, DType::F32, 1.f, 1.f, gopts_, hm); prof_mark("matmul");
    }
    const float* hlast = res + (size_t)L * A;
    k_rmsnorm_forward<T>(hf, frstd, hlast, P + fn, N, d, eps); prof_mark("norm");

    // head, in row chunks: logits (fp32) → loss, and for training dlogits (T, in place of nothing
    // else) → dhf and dE right away, so no [B·T, V] tensor ever exists.
    float* logits = logits_.as<float>();
    T* dlog = dlogits_.as<T>();
    float* dhf = dmf_.as<float>();
    for (size_t r0 = 0; r0 < BT; r0 += head_rows_) {
      const int R = (int)std::min(head_rows_, BT - r0);
      // logits_ holds the chunk's logits as bf16 or fp32 (logits_bf16())
      gemm(false, true, R, Vp, d, hf + r0 * d, d, W, d, logits, Vp, ACT, logits_bf16() ? DType::BF16 : DType::F32, 1.f,
           0.f, gopts_); prof_mark("head_matmul");
      T* dl = grad ? dlog : (T*)nullptr;
      if (logits_bf16()) k_crossentropy<T>(logits_.as<bf16>(), dl, row_loss_.as<float>() + r0, yd + r0, R, V, Vp, loss_scale);
      else k_crossentropy<T>(logits, dl, row_loss_.as<float>() + r0, yd + r0, R, V, Vp, loss_scale);
      prof_mark("crossentropy");
      if (grad) {
        gemm(false, false, R, d, Vp, dlog, Vp, W, d, dhf + r0 * d, d, ACT, DType::F32, 1.f, 0.f, gopts_); prof_mark("head_matmul");
        gemm(true, false, Vp, d, R, dlog, Vp, hf + r0 * d, d, G, d, ACT, DType::F32, 1.f, r0 == 0 ? gb : 1.f, gopts_); prof_mark("head_matmul");
      }
    }
    if (!grad) return;

    // ---- backward ----
    float* dres = dres_.as<float>();
    T* dact = dres_act_.as<T>();
    float* dscr = dgscr_.as<float>();
    // each RMSNorm backward leaves its norm-scale gradient's partials in a slot of its own, added into
    // the gradients by one launch at the end (the same sums as a reduce per call; LOCO_CUDA_NORM_DG=each:
    // a reduce per call, one slot); norm_off_ lists the gradients in this order
    const bool dg_each = norm_dg_each();
    const size_t dg_slot = rmsnorm_dg_scratch(N, d);
    int norms = 0;
    unsigned dg_chunks = 0;
    auto norm_backward = [&](float* dg, const auto* dy_in, const float* x, const float* g, const float* rstd, bool overwrite) {
      const unsigned c = k_rmsnorm_backward<T>(dres, dact, dg_each ? dg : nullptr, dscr + (dg_each ? 0 : norms * dg_slot),
                                               dy_in, x, g, rstd, N, d, overwrite, gb == 0.f);
      if (norms++ == 0) dg_chunks = c;
      else if (c != dg_chunks) throw std::runtime_error("RMSNorm backward: partial rows differ between calls of one step");
    };
    // the final norm's backward starts the residual gradient (overwrite: no memset, no read)
    norm_backward(G + fn, dhf, hlast, P + fn, frstd, true); prof_mark("norm");
    // dhf is no longer needed: its buffer takes each norm's incoming gradient, fp32 or bf16
    const bool dy_bf16 = BF && norm_dy_bf16();
    // the gradient into a norm (dx of the matmul that read the norm's output: dA[N, K]·W[K, d]), then
    // the norm's backward
    auto into_norm = [&](const T* dA, int K, const T* w, float* dg, const float* x, const float* g, const float* rstd) {
      gemm(false, false, N, d, K, dA, K, w, d, dmf_.p, d, ACT, dy_bf16 ? ACT : DType::F32, 1.f, 0.f, gopts_); prof_mark("matmul");
      if (dy_bf16) norm_backward(dg, dmf_.as<T>(), x, g, rstd, false);
      else norm_backward(dg, dmf_.as<float>(), x, g, rstd, false);
      prof_mark("norm");
    };
    T *ds = ds_.as<T>(), *dgu = dgu_.as<T>(), *dy = dy_.as<T>(), *dqkv = dqkv_.as<T>();
    for (int l = L - 1; l >= 0; l--) {
      float* hin = res + l * A;
      float* hm = hmid + l * A;
      T* al = a + l * A;
      T* ql = qkv + l * 3 * A;
      T* yl = atty + l * A;
      T* ml = mln + l * A;
      T* gl = gu + l * 2 * BT * F;
      T* sl = s + l * BT * F;
      // MLP: h_out = h_mid + s·w_downᵀ
      gemm(true, false, d, F, N, dact, d, sl, F, G + lo[l].wd, F, ACT, DType::F32, 1.f, gb, gopts_); prof_mark("matmul");
      gemm(false, false, N, F, d, dact, d, W + lo[l].wd, F, ds, F, ACT, ACT, 1.f, 0.f, gopts_); prof_mark("matmul");
      k_swiglu_backward<T>(dgu, ds, gl, N, F); prof_mark("swiglu");
      gemm(true, false, 2 * F, d, N, dgu, 2 * F, ml, d, G + lo[l].wg, d, ACT, DType::F32, 1.f, gb, gopts_); prof_mark("matmul");
      into_norm(dgu, 2 * F, W + lo[l].wg, G + lo[l].mn, hm, P + lo[l].mn, mrstd + l * BT);
      // attention: h_mid = h_in + y·woᵀ
      gemm(true, false, d, d, N, dact, d, yl, d, G + lo[l].wo, d, ACT, DType::F32, 1.f, gb, gopts_); prof_mark("matmul");
      gemm(false, false, N, d, d, dact, d, W + lo[l].wo, d, dy, d, ACT, ACT, 1.f, 0.f, gopts_); prof_mark("matmul");
      k_attention_backward<T>(dqkv, dsc_.as<float>(), ql, yl, dy, lse + l * BT * H, B, Tn, H, hd, bwd_cs, bwd_sn); prof_mark("attention");
      if (!rope_fused && !rope_bwd_fused) { k_rope<T>(dqkv, cs, sn, B, Tn, H, hd, true); prof_mark("rope"); }
      gemm(true, false, 3 * d, d, N, dqkv, 3 * d, al, d, G + lo[l].wq, d, ACT, DType::F32, 1.f, gb, gopts_); prof_mark("matmul");
      into_norm(dqkv, 3 * d, W + lo[l].wq, G + lo[l].an, hin, P + lo[l].an, arstd + l * BT);
    }
    if (!dg_each) {
      k_rmsnorm_dg_reduce_many(G, norm_off_.as<size_t>(), dscr, dg_slot, norms, dg_chunks, d, gb == 0.f);
      prof_mark("norm");
    }
  }
};

}  // namespace

#ifndef LOCO_CUDA_ARCHS
#error "LOCO_CUDA_ARCHS (the Makefile's CUDA_ARCH list) is not defined: build with make -C kernels cuda"
#endif

// one tiny kernel: whether this build's fat binary has code the device can run
__global__ void loco_probe_kernel() {}

int cuda_device_cc() {
  static const int cc = [] {
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return major * 10 + minor;
  }();
  return cc;
}

bool cuda_wgmma_here() {
  static const bool on = CudaTargets(LOCO_CUDA_ARCHS).wgmma(cuda_device_cc());
  return on;
}

bool cuda_device_present(std::string* why, bool* gpu_found) {
  if (gpu_found) *gpu_found = false;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = std::string("no usable CUDA device: ") + cudaGetErrorString(e);
    return false;
  }
  if (n == 0) {
    if (why) *why = "no CUDA device";
    return false;
  }
  if (gpu_found) *gpu_found = true;
  // a GPU this build has no code for (an older one, or a target left out of CUDA_ARCH): say which
  cudaDeviceProp prop{};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = "cannot read the CUDA device's properties";
    return false;
  }
  const std::string not_here = CudaTargets(LOCO_CUDA_ARCHS).why_not(prop.major * 10 + prop.minor, prop.name);
  if (!not_here.empty()) {
    if (why) *why = not_here;
    return false;
  }
  // ... and the runtime's own word on it (a build whose -gencode list was overridden)
  cudaFuncAttributes attr{};
  e = cudaFuncGetAttributes(&attr, loco_probe_kernel);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = std::string("this build cannot run on ") + prop.name + ": " + cudaGetErrorString(e);
    return false;
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend(const std::string& precision_in) {
  std::string why;
  if (!cuda_device_present(&why)) throw std::runtime_error(why);
  std::string precision = precision_in;
  if (precision.empty()) precision = getenv("LOCO_CUDA_PRECISION") ? getenv("LOCO_CUDA_PRECISION") : "bf16";
  if (precision == "bf16") return std::make_unique<CudaBackend<bf16>>();
  if (precision == "fp32") return std::make_unique<CudaBackend<float>>();
  throw std::runtime_error("LOCO_CUDA_PRECISION must be fp32 or bf16, not \"" + precision + "\"");
}
