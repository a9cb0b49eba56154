// Causal multi-head softmax attention: out_t = Σ_{j≤t} softmax_j(q_t·k_j / sqrt(hd)) v_j.
// Parallel over (batch, head); each (b, h) owns its slices, so there are no write races.
// Short sequences use direct loops; T ≥ 128 uses per-head GEMMs (below).
#include <cmath>
#include <vector>

#include "fastmath.h"
#include "ops.h"

namespace {

template <typename T>
void attention_forward_loops(T* out, T* att, const T* q, const T* k, const T* v, int B, int Tn, int H, int hd) {
  const int d = H * hd;
  const T scale = (T)(1.0 / std::sqrt((double)hd));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      T* A = att + ((size_t)b * H + h) * Tn * Tn;
      for (int t = 0; t < Tn; t++) {
        const T* qt = q + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        T* row = A + (size_t)t * Tn;
        T mx = -INFINITY;
        for (int j = 0; j <= t; j++) {
          const T* kj = k + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          T s = 0;
          for (int i = 0; i < hd; i++) s += qt[i] * kj[i];
          s *= scale;
          row[j] = s;
          mx = s > mx ? s : mx;
        }
        T sum = 0;
        for (int j = 0; j <= t; j++) {
          row[j] = vexp<T>(row[j] - mx);
          sum += row[j];
        }
        const T inv = T(1) / sum;
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < Tn; j++) row[j] = 0;
        T* ot = out + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        for (int i = 0; i < hd; i++) ot[i] = 0;
        for (int j = 0; j <= t; j++) {
          const T p = row[j];
          const T* vj = v + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          for (int i = 0; i < hd; i++) ot[i] += p * vj[i];
        }
      }
    }
}

template <typename T>
void attention_backward_loops(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k, const T* v,
                              int B, int Tn, int H, int hd) {
  const int d = H * hd;
  const T scale = (T)(1.0 / std::sqrt((double)hd));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      std::vector<T> ds(Tn);
      for (int t = 0; t < Tn; t++) {
        const size_t base = ((size_t)b * Tn + t) * d + (size_t)h * hd;
        for (int i = 0; i < hd; i++) dq[base + i] = dk[base + i] = dv[base + i] = 0;
      }
      const T* A = att + ((size_t)b * H + h) * Tn * Tn;
      for (int t = 0; t < Tn; t++) {
        const T* row = A + (size_t)t * Tn;
        const T* dot_ = dout + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        // dp_j = dout_t·v_j ; dv_j += p_j·dout_t
        T sum = 0;
        for (int j = 0; j <= t; j++) {
          const T* vj = v + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          T* dvj = dv + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          T dp = 0;
          const T p = row[j];
          for (int i = 0; i < hd; i++) {
            dp += dot_[i] * vj[i];
            dvj[i] += p * dot_[i];
          }
          ds[j] = dp;
          sum += p * dp;
        }
        // ds_j = p_j (dp_j − Σ p·dp) · scale
        const T* qt = q + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        T* dqt = dq + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        for (int j = 0; j <= t; j++) {
          const T g = row[j] * (ds[j] - sum) * scale;
          const T* kj = k + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          T* dkj = dk + ((size_t)b * Tn + j) * d + (size_t)h * hd;
          for (int i = 0; i < hd; i++) {
            dqt[i] += g * kj[i];
            dkj[i] += g * qt[i];
          }
        }
      }
    }
}


// Long sequences: per (batch, head), S = Q·Kᵀ·scale and O = P·V (and the backward products) are
// GEMMs on strided head views (leading dimension d). The full T×T score block is computed and the
// causal part kept (2x the causal FLOPs, but BLAS speed). Each (b, h) runs on one thread; the GEMMs
// inside run single-threaded (nested parallel regions are inactive), so results do not depend on
// the thread count.
template <typename T>
void attention_forward_gemm(T* out, T* att, const T* q, const T* k, const T* v, int B, int Tn, int H, int hd) {
  const int d = H * hd;
  const T scale = (T)(1.0 / std::sqrt((double)hd));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      T* A = att + ((size_t)b * H + h) * Tn * Tn;
      const size_t base = (size_t)b * Tn * d + (size_t)h * hd;
      gemm<T>(false, true, Tn, Tn, hd, scale, q + base, d, k + base, d, T(0), A, Tn);
      for (int t = 0; t < Tn; t++) {
        T* row = A + (size_t)t * Tn;
        T mx = row[0];
        for (int j = 1; j <= t; j++) mx = row[j] > mx ? row[j] : mx;
        T sum = 0;
        for (int j = 0; j <= t; j++) {
          row[j] = vexp<T>(row[j] - mx);
          sum += row[j];
        }
        const T inv = T(1) / sum;
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < Tn; j++) row[j] = 0;
      }
      gemm<T>(false, false, Tn, hd, Tn, T(1), A, Tn, v + base, d, T(0), out + base, d);
    }
}

template <typename T>
void attention_backward_gemm(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k, const T* v,
                             int B, int Tn, int H, int hd) {
  const int d = H * hd;
  const T scale = (T)(1.0 / std::sqrt((double)hd));
#pragma omp parallel
  {
    std::vector<T> dP((size_t)Tn * Tn);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++) {
        const T* A = att + ((size_t)b * H + h) * Tn * Tn;
        const size_t base = (size_t)b * Tn * d + (size_t)h * hd;
        gemm<T>(false, true, Tn, Tn, hd, T(1), dout + base, d, v + base, d, T(0), dP.data(), Tn);  // dP = dO·Vᵀ
        gemm<T>(true, false, Tn, hd, Tn, T(1), A, Tn, dout + base, d, T(0), dv + base, d);        // dV = Pᵀ·dO
        for (int t = 0; t < Tn; t++) {
          const T* p = A + (size_t)t * Tn;
          T* g = dP.data() + (size_t)t * Tn;
          T s = 0;
          for (int j = 0; j <= t; j++) s += p[j] * g[j];
          for (int j = 0; j <= t; j++) g[j] = p[j] * (g[j] - s) * scale;
          for (int j = t + 1; j < Tn; j++) g[j] = 0;
        }
        gemm<T>(false, false, Tn, hd, Tn, T(1), dP.data(), Tn, k + base, d, T(0), dq + base, d);  // dQ = dS·K
        gemm<T>(true, false, Tn, hd, Tn, T(1), dP.data(), Tn, q + base, d, T(0), dk + base, d);   // dK = dSᵀ·Q
      }
  }
}

}  // namespace

static int g_gemm_min_T = 128;
void set_attention_gemm_min_T(int t) { g_gemm_min_T = t; }

template <typename T>
void attention_forward(T* out, T* att, const T* q, const T* k, const T* v, int B, int Tn, int H, int hd) {
  if (Tn >= g_gemm_min_T) attention_forward_gemm(out, att, q, k, v, B, Tn, H, hd);
  else attention_forward_loops(out, att, q, k, v, B, Tn, H, hd);
}

template <typename T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k, const T* v, int B,
                        int Tn, int H, int hd) {
  if (Tn >= g_gemm_min_T) attention_backward_gemm(dq, dk, dv, dout, att, q, k, v, B, Tn, H, hd);
  else attention_backward_loops(dq, dk, dv, dout, att, q, k, v, B, Tn, H, hd);
}

template void attention_forward<float>(float*, float*, const float*, const float*, const float*, int, int, int, int);
template void attention_forward<double>(double*, double*, const double*, const double*, const double*, int, int, int,
                                        int);
template void attention_backward<float>(float*, float*, float*, const float*, const float*, const float*, const float*,
                                        const float*, int, int, int, int);
template void attention_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                         const double*, const double*, int, int, int, int);
