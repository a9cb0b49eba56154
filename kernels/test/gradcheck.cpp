// Finite-difference gradient check of every op and of the whole model, in double precision.
// For each op, loss = Σ w ⊙ op(inputs) with random w; the analytic gradient (backward) is compared
// with central differences. Prints one line per check with the max relative error and the
// threshold, and exits 1 if any check fails. `--inject-bug` corrupts one backward on purpose
// (the test suite asserts the check then FAILS, so it is known to be able to fail).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "model.h"
#include "ops.h"

using V = std::vector<double>;
static std::mt19937_64 rng(1234);
static bool inject = false;
static int failures = 0;

static V randv(size_t n, double sd = 1.0) {
  std::normal_distribution<double> nd(0, sd);
  V v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}
static double dotv(const V& a, const V& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

struct Checker {
  std::string name;
  double max_err = 0, worst_a = 0, worst_n = 0;
  size_t n = 0;
  void add(double analytic, double numeric) {
    const double e = std::fabs(analytic - numeric) / (std::max(std::fabs(analytic), std::fabs(numeric)) + 1e-6);
    if (e > max_err) { max_err = e; worst_a = analytic; worst_n = numeric; }
    n++;
  }
  void report(double threshold) {
    const bool ok = max_err <= threshold && n > 0;
    printf("%-28s coords=%-5zu max_rel_err=%.3e threshold=%.0e (worst: analytic %.6g numeric %.6g) %s\n", name.c_str(), n, max_err, threshold, worst_a, worst_n,
           ok ? "PASS" : "FAIL");
    if (!ok) failures++;
  }
};

// Checks d f / d x[i] for all (or `limit` random) i, where grad is the analytic gradient.
static void check_input(Checker& c, V& x, const V& grad, const std::function<double()>& f, size_t limit = 0) {
  const double eps = 1e-5;
  std::vector<size_t> idx;
  if (limit == 0 || limit >= x.size()) {
    for (size_t i = 0; i < x.size(); i++) idx.push_back(i);
  } else {
    std::uniform_int_distribution<size_t> ud(0, x.size() - 1);
    for (size_t k = 0; k < limit; k++) idx.push_back(ud(rng));
  }
  for (size_t i : idx) {
    const double o = x[i];
    x[i] = o + eps;
    const double fp = f();
    x[i] = o - eps;
    const double fm = f();
    x[i] = o;
    c.add(grad[i], (fp - fm) / (2 * eps));
  }
}

static const double TH = 1e-5;

static void check_matmul() {
  const int M = 5, N = 7, K = 6;
  V in = randv(M * K), W = randv(N * K), w = randv(M * N), out(M * N);
  auto f = [&]() { linear_forward(out.data(), in.data(), W.data(), M, N, K); return dotv(out, w); };
  V din(M * K, 0), dW(N * K, 0);
  linear_backward(din.data(), dW.data(), w.data(), in.data(), W.data(), M, N, K);
  if (inject) dW[3] *= 1.01;
  Checker c{"matmul (linear)"};
  check_input(c, in, din, f);
  check_input(c, W, dW, f);
  c.report(TH);
  // every transpose combination of gemm, float and double, against a naive loop
  Checker g{"gemm transposes (vs naive)"};
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      const int m = 37, n = 29, k = 41;
      V A = randv(m * k), Bm = randv(k * n), C = randv(m * n), C0 = C;
      std::vector<float> Af(A.begin(), A.end()), Bf(Bm.begin(), Bm.end()), Cf(C.begin(), C.end());
      const int lda = ta ? m : k, ldb = tb ? k : n;
      gemm<double>(ta, tb, m, n, k, 0.5, A.data(), lda, Bm.data(), ldb, 2.0, C.data(), n);
      gemm<float>(ta, tb, m, n, k, 0.5f, Af.data(), lda, Bf.data(), ldb, 2.0f, Cf.data(), n);
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int p = 0; p < k; p++) s += (ta ? A[p * lda + i] : A[i * lda + p]) * (tb ? Bm[j * ldb + p] : Bm[p * ldb + j]);
          const double ref = 0.5 * s + 2.0 * C0[i * n + j];
          g.add(C[i * n + j], ref);
          const double ef = std::fabs(Cf[i * n + j] - ref) / (std::fabs(ref) + 1.0);
          if (ef > 1e-4) g.add(1.0, 0.0);  // float path way off → fail
        }
    }
  g.report(1e-9);
}

static void check_rmsnorm() {
  const int N = 4, C = 8;
  V x = randv(N * C), gs = randv(C), w = randv(N * C), out(N * C), rstd(N);
  auto f = [&]() { rmsnorm_forward(out.data(), rstd.data(), x.data(), gs.data(), N, C, 1e-5); return dotv(out, w); };
  f();
  V dx(N * C, 0), dg(C, 0);
  rmsnorm_backward(dx.data(), dg.data(), w.data(), x.data(), gs.data(), rstd.data(), N, C);
  Checker c{"rmsnorm"};
  check_input(c, x, dx, f);
  check_input(c, gs, dg, f);
  c.report(TH);
}

static void check_rope() {
  const int B = 2, T = 5, H = 2, hd = 4, n = B * T * H * hd;
  V x = randv(n), w = randv(n), y(n);
  auto f = [&]() { y = x; rope_forward(y.data(), B, T, H, hd, 10000.0); return dotv(y, w); };
  V dx = w;
  rope_backward(dx.data(), B, T, H, hd, 10000.0);
  Checker c{"rope"};
  check_input(c, x, dx, f);
  c.report(TH);
  // also pin the formula at one point: p = 3, i = 1, hd = 4: f_1 = theta^(-1/2)
  V u(4 * 4, 0.0);  // B=1, T=4, H=1, hd=4
  for (int i = 0; i < 4; i++) u[3 * 4 + i] = i + 1.0;
  rope_forward(u.data(), 1, 4, 1, 4, 10000.0);
  const double ang = 3 * std::pow(10000.0, -0.5);
  const double e1 = 2.0 * std::cos(ang) - 4.0 * std::sin(ang), e3 = 4.0 * std::cos(ang) + 2.0 * std::sin(ang);
  Checker r{"rope formula (rotate-half)"};
  r.add(u[3 * 4 + 1], e1);
  r.add(u[3 * 4 + 3], e3);
  r.report(1e-12);
}

static void check_attention(const char* name, int T) {
  const int B = 2, H = 2, hd = 4, n = B * T * H * hd;
  V q = randv(n), k = randv(n), v = randv(n), w = randv(n), out(n), att(B * H * T * T);
  auto f = [&]() { attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), B, T, H, hd); return dotv(out, w); };
  f();
  V dq(n), dk(n), dv(n);
  attention_backward(dq.data(), dk.data(), dv.data(), w.data(), att.data(), q.data(), k.data(), v.data(), B, T, H, hd);
  Checker c{name};
  check_input(c, q, dq, f);
  check_input(c, k, dk, f);
  check_input(c, v, dv, f);
  c.report(TH);
}

static void check_swiglu() {
  const int n = 20;
  V g = randv(n, 2.0), u = randv(n), w = randv(n), out(n);
  auto f = [&]() { swiglu_forward(out.data(), g.data(), u.data(), n); return dotv(out, w); };
  V dg(n), du(n);
  swiglu_backward(dg.data(), du.data(), w.data(), g.data(), u.data(), n);
  Checker c{"swiglu"};
  check_input(c, g, dg, f);
  check_input(c, u, du, f);
  c.report(TH);
}

static void check_crossentropy() {
  const int N = 4, Vn = 11;
  V logits = randv(N * Vn, 2.0), lse(N), rl(N);
  std::vector<int> y = {3, 0, 10, 7};
  auto f = [&]() { return crossentropy_forward(logits.data(), lse.data(), rl.data(), y.data(), N, Vn); };
  f();
  V d = logits;
  crossentropy_backward(d.data(), lse.data(), y.data(), N, Vn, 1.0);
  Checker c{"crossentropy"};
  check_input(c, logits, d, f);
  c.report(TH);
}

static void check_model() {
  Json cj = Json::parse(
      "{\"name\":\"gradcheck\",\"vocab_size\":37,\"padded_vocab_size\":40,\"seq_len\":6,\"d_model\":8,\"n_layers\":2,"
      "\"n_heads\":2,\"d_ff\":12,\"rope_theta\":10000,\"norm_eps\":1e-5,\"init_std\":0.3}");
  Config cfg;
  std::string err;
  if (!config_from_json(cj, cfg, err)) { printf("config: %s\n", err.c_str()); failures++; return; }
  Model<double> md;
  md.setup(cfg);
  md.init_params(7);
  // random norm scales so their gradients are not degenerate
  for (auto& t : md.layout)
    if (t.kind == TensorKind::Norm)
      for (size_t i = 0; i < t.numel; i++) md.params[t.offset + i] = 1.0 + 0.3 * randv(1)[0];
  const int B = 2, T = 6;
  std::vector<int> x(B * T), y(B * T);
  std::uniform_int_distribution<int> ud(0, cfg.vocab_size - 1);
  for (auto& t : x) t = ud(rng);
  for (auto& t : y) t = ud(rng);
  const double scale = 1.0 / (B * T);
  md.zero_grad();
  md.forward(x.data(), y.data(), B, T);
  md.backward(x.data(), y.data(), scale);
  V grad = md.grads;
  if (inject)  // corrupt the whole wk gradient of layer 0 by 1 %
    for (size_t i = 0; i < md.layout[3].numel; i++) grad[md.layout[3].offset + i] *= 1.01;
  auto f = [&]() { return md.forward(x.data(), y.data(), B, T) * scale; };
  Checker all{"model (all tensors)"};
  for (auto& t : md.layout) {
    Checker c{"model " + t.name};
    // a few random coordinates per tensor; for embed, rows that occur in x or y (others are 0)
    const double eps = 1e-5;
    std::uniform_int_distribution<size_t> pick(0, t.numel - 1);
    for (int k = 0; k < 6; k++) {
      size_t i = pick(rng);
      if (t.kind == TensorKind::Embed) i = (size_t)(k % 2 ? x[k] : y[k]) * cfg.d_model + (size_t)k % cfg.d_model;
      double& p = md.params[t.offset + i];
      const double o = p;
      p = o + eps;
      const double fp = f();
      p = o - eps;
      const double fm = f();
      p = o;
      c.add(grad[t.offset + i], (fp - fm) / (2 * eps));
      all.add(grad[t.offset + i], (fp - fm) / (2 * eps));
    }
    if (c.max_err > 1e-4) c.report(1e-4);
  }
  // padded embedding rows never get a gradient
  bool pad_zero = true;
  for (int r = cfg.vocab_size; r < cfg.padded_vocab_size; r++)
    for (int j = 0; j < cfg.d_model; j++) pad_zero = pad_zero && grad[(size_t)r * cfg.d_model + j] == 0.0;
  all.report(1e-4);
  Checker pz{"model padded rows grad = 0"};
  pz.add(pad_zero ? 0.0 : 1.0, 0.0);
  pz.report(0);

  // the float engine path agrees with the double reference
  Model<float> mf;
  mf.setup(cfg);
  for (size_t i = 0; i < md.P; i++) mf.params[i] = (float)md.params[i];
  mf.zero_grad();
  const double lf = mf.forward(x.data(), y.data(), B, T);
  mf.backward(x.data(), y.data(), (float)scale);
  const double ld = md.forward(x.data(), y.data(), B, T);
  double num = 0, den = 0;
  for (size_t i = 0; i < md.P; i++) {
    num += (mf.grads[i] - md.grads[i]) * (mf.grads[i] - md.grads[i]);
    den += md.grads[i] * md.grads[i];
  }
  Checker fl{"float vs double model"};
  fl.add(lf, ld);
  fl.add(std::sqrt(num / den) + 1.0, 1.0);
  fl.report(1e-5);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++)
    if (std::string(argv[i]) == "--inject-bug") inject = true;
  check_matmul();
  check_rmsnorm();
  check_rope();
  set_attention_gemm_min_T(1 << 30);
  check_attention("attention (causal)", 5);
  set_attention_gemm_min_T(0);
  check_attention("attention (causal, gemm)", 6);
  set_attention_gemm_min_T(128);
  {  // the two attention paths agree on a longer sequence (float)
    const int B = 2, T = 131, H = 3, hd = 8, n = B * T * H * hd;
    V q = randv(n), k = randv(n), v = randv(n), w = randv(n);
    std::vector<float> qf(q.begin(), q.end()), kf(k.begin(), k.end()), vf(v.begin(), v.end()), wf(w.begin(), w.end());
    std::vector<float> o1(n), o2(n), a1(B * H * T * T), a2(B * H * T * T), g1(3 * n), g2(3 * n);
    set_attention_gemm_min_T(1 << 30);
    attention_forward(o1.data(), a1.data(), qf.data(), kf.data(), vf.data(), B, T, H, hd);
    attention_backward(g1.data(), g1.data() + n, g1.data() + 2 * n, wf.data(), a1.data(), qf.data(), kf.data(), vf.data(), B, T, H, hd);
    set_attention_gemm_min_T(0);
    attention_forward(o2.data(), a2.data(), qf.data(), kf.data(), vf.data(), B, T, H, hd);
    attention_backward(g2.data(), g2.data() + n, g2.data() + 2 * n, wf.data(), a2.data(), qf.data(), kf.data(), vf.data(), B, T, H, hd);
    set_attention_gemm_min_T(128);
    // max |difference| relative to the largest magnitude of each output (fp32 roundoff level)
    Checker c{"attention loops vs gemm"};
    auto cmp = [&](const float* x, const float* y, int m) {
      double mx = 0, md = 0;
      for (int i = 0; i < m; i++) { mx = std::max(mx, (double)std::fabs(y[i])); md = std::max(md, (double)std::fabs(x[i] - y[i])); }
      c.add(1.0 + md / mx, 1.0);
    };
    cmp(o1.data(), o2.data(), n);
    for (int g = 0; g < 3; g++) cmp(g1.data() + g * n, g2.data() + g * n, n);
    c.report(1e-5);
  }
  check_swiglu();
  check_crossentropy();
  check_model();
  printf("gradcheck: %s (%d failing)\n", failures ? "FAIL" : "OK", failures);
  return failures ? 1 : 0;
}
