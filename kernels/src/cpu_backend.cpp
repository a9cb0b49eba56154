// CPU backend: fp32 Model<float>, OpenMP over the cores, BLAS sgemm for the matmuls.
#include <omp.h>

#include <cstring>

#include "backend.h"
#include "model.h"
#include "ops.h"
#include "token_groups.h"
#include "update.h"

namespace {

class CpuBackend : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  std::string describe() const override {
    return std::string("cpu, ") + std::to_string(omp_get_max_threads()) + " threads, gemm=" + gemm_impl_name();
  }
  void configure(const Config& cfg) override {
    model_.setup(cfg);
    m_.assign(model_.P, 0.f);
    v_.assign(model_.P, 0.f);
  }
  void init_params(uint64_t seed) override { model_.init_params(seed); }
  size_t num_params() const override { return model_.P; }
  void zero_grad() override { model_.zero_grad(); }
  double forward_backward(const int* x, const int* y, int B, int T, float loss_scale) override {
    check_batch_tokens(x, y, (size_t)B * (size_t)T, model_.cfg.vocab_size);
    double loss = model_.forward(x, y, B, T);
    model_.backward(x, y, loss_scale);
    return loss;
  }
  double forward_loss(const int* x, const int* y, int B, int T) override {
    check_batch_tokens(x, y, (size_t)B * (size_t)T, model_.cfg.vocab_size);
    return model_.forward(x, y, B, T);
  }
  double grad_norm_sq() override { return sum_squares(model_.grads.data(), model_.P); }
  void optimizer_step(const AdamWHyper& h, float lr, float grad_scale, long t) override {
    for (const TensorInfo& ti : model_.layout) {
      const size_t o = ti.offset;
      adamw_update(model_.params.data() + o, model_.grads.data() + o, m_.data() + o, v_.data() + o, ti.numel, lr,
                   h.beta1, h.beta2, h.eps, ti.decay() ? h.weight_decay : 0.0f, grad_scale, t);
    }
  }
  void read_params(float* dst) override { std::memcpy(dst, model_.params.data(), 4 * model_.P); }
  void write_params(const float* src) override { std::memcpy(model_.params.data(), src, 4 * model_.P); }
  void read_grads(float* dst) override { std::memcpy(dst, model_.grads.data(), 4 * model_.P); }
  void read_optimizer(float* m, float* v) override {
    std::memcpy(m, m_.data(), 4 * model_.P);
    std::memcpy(v, v_.data(), 4 * model_.P);
  }
  void write_optimizer(const float* m, const float* v) override {
    if (m) std::memcpy(m_.data(), m, 4 * model_.P); else std::fill(m_.begin(), m_.end(), 0.f);
    if (v) std::memcpy(v_.data(), v, 4 * model_.P); else std::fill(v_.begin(), v_.end(), 0.f);
  }
  void add_dense(float alpha, const float* u) override { apply_dense_update(model_.params.data(), u, alpha, model_.P); }
  void add_sparse(float alpha, const uint32_t* idx, const float* val, size_t n) override {
    apply_sparse_update(model_.params.data(), idx, val, n, alpha);
  }
  void gather_params(const uint64_t* idx, size_t n, float* out) override {
    for (size_t i = 0; i < n; i++) out[i] = model_.params[idx[i]];
  }

 private:
  Model<float> model_;
  std::vector<float> m_, v_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }
