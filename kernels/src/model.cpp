#include "model.h"

#include <cmath>
#include <algorithm>
#include <cstring>

#include "ops.h"
#include "rng.h"

template <typename T>
void Model<T>::setup(const Config& c) {
  cfg = c;
  layout = param_layout(c);
  P = layout.back().offset + layout.back().numel;
  params.assign(P, T(0));
  grads.assign(P, T(0));
  B_ = T_ = 0;
}

template <typename T>
typename Model<T>::Layer Model<T>::layer(std::vector<T>& base, int l) {
  const TensorInfo* t = &layout[1 + (size_t)l * 9];
  T* p = base.data();
  return Layer{p + t[0].offset, p + t[1].offset, p + t[2].offset, p + t[3].offset, p + t[4].offset,
               p + t[5].offset, p + t[6].offset, p + t[7].offset, p + t[8].offset};
}

// One continuous stream of normals over the non-norm tensors, filled in parallel: every chunk of
// 2^20 values starts the stream at its own index (NormalStream::at), so the bits do not depend on
// the thread count. Sequentially, 1b's 900M draws took ~15 s of one core in every process that
// initialised it (≈ 17 ns a value on the development machine, docs/benchmarks.md).
template <typename T>
void init_parameters(T* params, const std::vector<TensorInfo>& layout, const Config& cfg, uint64_t seed) {
  const double std_main = cfg.init_std;
  const double std_res = cfg.init_std / std::sqrt(2.0 * cfg.n_layers);
  struct Chunk { T* p; size_t count; uint64_t first; double sd; };
  constexpr size_t CH = (size_t)1 << 20;
  std::vector<Chunk> chunks;
  uint64_t n = 0;  // stream index of the tensor's first value
  for (const TensorInfo& t : layout) {
    T* p = params + t.offset;
    if (t.kind == TensorKind::Norm) {
      for (size_t i = 0; i < t.numel; i++) p[i] = T(1);
      continue;
    }
    const double sd = t.kind == TensorKind::ResidualMatrix ? std_res : std_main;
    for (size_t c = 0; c < t.numel; c += CH) chunks.push_back({p + c, std::min(CH, t.numel - c), n + c, sd});
    n += t.numel;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t k = 0; k < chunks.size(); k++) {
    const Chunk& c = chunks[k];
    NormalStream rng = NormalStream::at(seed, c.first);
    for (size_t i = 0; i < c.count; i++) c.p[i] = (T)(rng.next() * c.sd);
  }
}
template void init_parameters<float>(float*, const std::vector<TensorInfo>&, const Config&, uint64_t);
template void init_parameters<double>(double*, const std::vector<TensorInfo>&, const Config&, uint64_t);

template <typename T>
void Model<T>::init_params(uint64_t seed) {
  init_parameters(params.data(), layout, cfg, seed);
}

template <typename T>
void Model<T>::zero_grad() {
  std::memset(grads.data(), 0, grads.size() * sizeof(T));
}

template <typename T>
void Model<T>::ensure(int B, int Tn) {
  // Buffers only grow: switching between shapes (train micro-batches, eval batches) does not
  // reallocate and re-fault gigabytes. Every buffer is fully written before it is read.
  if (B == B_ && Tn == T_) return;
  B_ = B;
  T_ = Tn;
  auto grow = [](std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  };
  const size_t BT = (size_t)B * Tn, d = cfg.d_model, F = cfg.d_ff, L = cfg.n_layers, H = cfg.n_heads;
  grow(res, (L + 1) * BT * d);
  grow(res_mid, L * BT * d);
  grow(a, L * BT * d);
  grow(arstd, L * BT);
  grow(q, L * BT * d);
  grow(k, L * BT * d);
  grow(v, L * BT * d);
  grow(att, L * B * H * Tn * Tn);
  grow(atty, L * BT * d);
  grow(m, L * BT * d);
  grow(mrstd, L * BT);
  grow(g, L * BT * F);
  grow(u, L * BT * F);
  grow(s, L * BT * F);
  grow(hf, BT * d);
  grow(frstd, BT);
  grow(logits, BT * (size_t)cfg.vocab_size);
  grow(row_loss, BT);
  grow(lse, BT);
  grow(dres, BT * d);
  grow(dhf, BT * d);
  grow(ds, BT * F);
  grow(dg, BT * F);
  grow(du, BT * F);
  grow(dm, BT * d);
  grow(datty, BT * d);
  grow(dq, BT * d);
  grow(dk, BT * d);
  grow(dv, BT * d);
  grow(da, BT * d);
}

template <typename T>
double Model<T>::forward(const int* x, const int* y, int B, int Tn) {
  ensure(B, Tn);
  const int BT = B * Tn, d = cfg.d_model, F = cfg.d_ff, L = cfg.n_layers, H = cfg.n_heads, hd = cfg.head_dim();
  const size_t A = (size_t)BT * d, AF = (size_t)BT * F;
  const T* E = params.data();
  T* h0 = res.data();
  for (int i = 0; i < BT; i++) std::memcpy(h0 + (size_t)i * d, E + (size_t)x[i] * d, d * sizeof(T));
  for (int l = 0; l < L; l++) {
    Layer w = layer(params, l);
    T* hin = res.data() + l * A;
    T* hmid = res_mid.data() + l * A;
    T* hout = res.data() + (l + 1) * A;
    T *al = a.data() + l * A, *ql = q.data() + l * A, *kl = k.data() + l * A, *vl = v.data() + l * A;
    T* yl = atty.data() + l * A;
    rmsnorm_forward(al, arstd.data() + (size_t)l * BT, hin, w.attn_norm, BT, d, cfg.norm_eps);
    linear_forward(ql, al, w.wq, BT, d, d);
    linear_forward(kl, al, w.wk, BT, d, d);
    linear_forward(vl, al, w.wv, BT, d, d);
    rope_forward(ql, B, Tn, H, hd, cfg.rope_theta);
    rope_forward(kl, B, Tn, H, hd, cfg.rope_theta);
    attention_forward(yl, att.data() + (size_t)l * B * H * Tn * Tn, ql, kl, vl, B, Tn, H, hd);
    linear_forward(hmid, yl, w.wo, BT, d, d);
    for (size_t i = 0; i < A; i++) hmid[i] += hin[i];
    T* ml = m.data() + l * A;
    rmsnorm_forward(ml, mrstd.data() + (size_t)l * BT, hmid, w.mlp_norm, BT, d, cfg.norm_eps);
    T *gl = g.data() + l * AF, *ul = u.data() + l * AF, *sl = s.data() + l * AF;
    linear_forward(gl, ml, w.wg, BT, F, d);
    linear_forward(ul, ml, w.wu, BT, F, d);
    swiglu_forward(sl, gl, ul, AF);
    linear_forward(hout, sl, w.wd, BT, d, F);
    for (size_t i = 0; i < A; i++) hout[i] += hmid[i];
  }
  rmsnorm_forward(hf.data(), frstd.data(), res.data() + (size_t)L * A, final_norm(params), BT, d, cfg.norm_eps);
  // logits over the real vocabulary only: hf · embed[:vocab_size]ᵀ
  linear_forward(logits.data(), hf.data(), E, BT, cfg.vocab_size, d);
  return crossentropy_forward(logits.data(), lse.data(), row_loss.data(), y, BT, cfg.vocab_size);
}

template <typename T>
void Model<T>::backward(const int* x, const int* y, T scale) {
  const int B = B_, Tn = T_;
  const int BT = B * Tn, d = cfg.d_model, F = cfg.d_ff, L = cfg.n_layers, H = cfg.n_heads, hd = cfg.head_dim();
  const size_t A = (size_t)BT * d, AF = (size_t)BT * F;
  const int V = cfg.vocab_size;
  T* E = params.data();
  T* dE = grads.data();
  crossentropy_backward(logits.data(), lse.data(), y, BT, V, scale);
  std::fill_n(dhf.begin(), A, T(0));
  linear_backward(dhf.data(), dE, logits.data(), hf.data(), E, BT, V, d);
  std::fill_n(dres.begin(), A, T(0));
  rmsnorm_backward(dres.data(), final_norm(grads), dhf.data(), res.data() + (size_t)L * A, final_norm(params),
                   frstd.data(), BT, d);
  for (int l = L - 1; l >= 0; l--) {
    Layer w = layer(params, l), gw = layer(grads, l);
    T* hin = res.data() + l * A;
    T* hmid = res_mid.data() + l * A;
    T *al = a.data() + l * A, *ql = q.data() + l * A, *kl = k.data() + l * A, *vl = v.data() + l * A;
    T* yl = atty.data() + l * A;
    T* ml = m.data() + l * A;
    T *gl = g.data() + l * AF, *ul = u.data() + l * AF, *sl = s.data() + l * AF;
    // MLP: h_out = h_mid + s·w_downᵀ
    std::fill_n(ds.begin(), AF, T(0));
    linear_backward(ds.data(), gw.wd, dres.data(), sl, w.wd, BT, d, F);
    swiglu_backward(dg.data(), du.data(), ds.data(), gl, ul, AF);
    std::fill_n(dm.begin(), A, T(0));
    linear_backward(dm.data(), gw.wg, dg.data(), ml, w.wg, BT, F, d);
    linear_backward(dm.data(), gw.wu, du.data(), ml, w.wu, BT, F, d);
    rmsnorm_backward(dres.data(), gw.mlp_norm, dm.data(), hmid, w.mlp_norm, mrstd.data() + (size_t)l * BT, BT, d);
    // attention: h_mid = h_in + y·woᵀ
    std::fill_n(datty.begin(), A, T(0));
    linear_backward(datty.data(), gw.wo, dres.data(), yl, w.wo, BT, d, d);
    attention_backward(dq.data(), dk.data(), dv.data(), datty.data(), att.data() + (size_t)l * B * H * Tn * Tn, ql, kl,
                       vl, B, Tn, H, hd);
    rope_backward(dq.data(), B, Tn, H, hd, cfg.rope_theta);
    rope_backward(dk.data(), B, Tn, H, hd, cfg.rope_theta);
    std::fill_n(da.begin(), A, T(0));
    linear_backward(da.data(), gw.wq, dq.data(), al, w.wq, BT, d, d);
    linear_backward(da.data(), gw.wk, dk.data(), al, w.wk, BT, d, d);
    linear_backward(da.data(), gw.wv, dv.data(), al, w.wv, BT, d, d);
    rmsnorm_backward(dres.data(), gw.attn_norm, da.data(), hin, w.attn_norm, arstd.data() + (size_t)l * BT, BT, d);
  }
  // embedding lookup backward (serial: rows may repeat)
  for (int i = 0; i < BT; i++) {
    T* dst = dE + (size_t)x[i] * d;
    const T* src = dres.data() + (size_t)i * d;
    for (int j = 0; j < d; j++) dst[j] += src[j];
  }
}

template struct Model<float>;
template struct Model<double>;
