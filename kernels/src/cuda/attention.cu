// Flash-style causal attention on CUDA cores in fp32 arithmetic (attention.cuh). Each thread owns
// one row (a query in the forward and dQ passes, a key in the dK/dV pass) held in shared memory
// with a padded stride (conflict-free); the other side's rows stream through shared memory in
// tiles of 32 and are read as broadcasts. Scores for a tile live in 32 registers.
#include <cmath>
#include <stdexcept>
#include <string>

#include "attention.cuh"
#include "ops.cuh"

#include <cstdlib>
#include <type_traits>

namespace {

constexpr int KT = 32;  // streamed tile rows

template <int HD>
constexpr int rows_for() { return HD >= 128 ? 32 : 64; }

template <typename T, int HD>
__device__ __forceinline__ void load_rows(float* dst, int stride, const T* src, size_t src_row_stride, int r0, int nrows,
                                          int Tn, int tid, int nthreads) {
  // dst[r][c] = src[(r0 + r)·src_row_stride + c], zero beyond Tn
  for (int e = tid; e < nrows * HD; e += nthreads) {
    const int r = e / HD, c = e % HD;
    const int row = r0 + r;
    dst[r * stride + c] = row < Tn ? to_f(src[(size_t)row * src_row_stride + c]) : 0.f;
  }
}

template <typename T, int HD, int ROWS>
__global__ void __launch_bounds__(ROWS) attn_fwd_kernel(T* y, float* lse, const T* qkv, int Tn, int H, float scale) {
  extern __shared__ float sm[];
  constexpr int S = HD + 1;
  float* Qs = sm;
  float* Os = Qs + ROWS * S;
  float* Ks = Os + ROWS * S;
  float* Vs = Ks + KT * HD;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const T* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const int q0 = blockIdx.x * ROWS, t = threadIdx.x, i = q0 + t;
  load_rows<T, HD>(Qs, S, base, ld, q0, ROWS, Tn, t, ROWS);
  for (int c = 0; c < HD; c++) Os[t * S + c] = 0.f;
  float m = -INFINITY, l = 0.f;
  const int kend = min(Tn, q0 + ROWS);
  for (int k0 = 0; k0 < kend; k0 += KT) {
    __syncthreads();
    load_rows<T, HD>(Ks, HD, base + d, ld, k0, KT, Tn, t, ROWS);
    load_rows<T, HD>(Vs, HD, base + 2 * d, ld, k0, KT, Tn, t, ROWS);
    __syncthreads();
    if (i < Tn && i >= k0) {
      float s[KT];
#pragma unroll
      for (int j = 0; j < KT; j++) s[j] = 0.f;
      for (int c = 0; c < HD; c++) {
        const float qc = Qs[t * S + c];
#pragma unroll
        for (int j = 0; j < KT; j++) s[j] = fmaf(qc, Ks[j * HD + c], s[j]);
      }
      float mt = m;
#pragma unroll
      for (int j = 0; j < KT; j++) {
        s[j] = (k0 + j <= i) ? s[j] * scale : -INFINITY;
        mt = fmaxf(mt, s[j]);
      }
      const float corr = expf(m - mt);  // m = −inf on the first tile: 0
      l *= corr;
#pragma unroll
      for (int j = 0; j < KT; j++) {
        s[j] = expf(s[j] - mt);
        l += s[j];
      }
      m = mt;
      for (int c = 0; c < HD; c++) {
        float o = Os[t * S + c] * corr;
#pragma unroll
        for (int j = 0; j < KT; j++) o = fmaf(s[j], Vs[j * HD + c], o);
        Os[t * S + c] = o;
      }
    }
  }
  if (i < Tn) {
    const float inv = 1.0f / l;
    for (int c = 0; c < HD; c++) Os[t * S + c] *= inv;
    lse[(size_t)bh * Tn + i] = m + logf(l);
  }
  __syncthreads();
  T* yb = y + (size_t)b * Tn * d + (size_t)h * HD;
  for (int e = t; e < ROWS * HD; e += ROWS) {
    const int r = e / HD, c = e % HD;
    if (q0 + r < Tn) yb[(size_t)(q0 + r) * d + c] = from_f<T>(Os[r * S + c]);
  }
}

// D[bh, i] = Σ_c dy·y (one warp per row)
template <typename T>
__global__ void attn_bwd_pre_kernel(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd) {
  const size_t row = (size_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;  // (b·T + t)·H + h
  const int lane = threadIdx.x % 32;
  if (row >= (size_t)B * Tn * H) return;
  const int h = (int)(row % H);
  const size_t bt = row / H;
  const int b = (int)(bt / Tn), t = (int)(bt % Tn);
  const size_t o = bt * H * hd + (size_t)h * hd;
  float acc = 0.f;
  for (int c = lane; c < hd; c += 32) acc += to_f(dy[o + c]) * to_f(y[o + c]);
  acc = warp_sum(acc);
  if (lane == 0) D[((size_t)b * H + h) * Tn + t] = acc;
}

template <typename T, int HD, int ROWS>
__global__ void __launch_bounds__(ROWS) attn_bwd_dq_kernel(T* dqkv, const T* qkv, const T* dy, const float* lse,
                                                           const float* D, int Tn, int H, float scale) {
  extern __shared__ float sm[];
  constexpr int S = HD + 1;
  float* Qs = sm;
  float* dOs = Qs + ROWS * S;
  float* dQs = dOs + ROWS * S;
  float* Ks = dQs + ROWS * S;
  float* Vs = Ks + KT * HD;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const T* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const int q0 = blockIdx.x * ROWS, t = threadIdx.x, i = q0 + t;
  load_rows<T, HD>(Qs, S, base, ld, q0, ROWS, Tn, t, ROWS);
  load_rows<T, HD>(dOs, S, dy + (size_t)b * Tn * d + (size_t)h * HD, d, q0, ROWS, Tn, t, ROWS);
  for (int c = 0; c < HD; c++) dQs[t * S + c] = 0.f;
  const float Li = i < Tn ? lse[(size_t)bh * Tn + i] : 0.f;
  const float Di = i < Tn ? D[(size_t)bh * Tn + i] : 0.f;
  const int kend = min(Tn, q0 + ROWS);
  for (int k0 = 0; k0 < kend; k0 += KT) {
    __syncthreads();
    load_rows<T, HD>(Ks, HD, base + d, ld, k0, KT, Tn, t, ROWS);
    load_rows<T, HD>(Vs, HD, base + 2 * d, ld, k0, KT, Tn, t, ROWS);
    __syncthreads();
    if (i < Tn && i >= k0) {
      float s[KT], dp[KT];
#pragma unroll
      for (int j = 0; j < KT; j++) s[j] = dp[j] = 0.f;
      for (int c = 0; c < HD; c++) {
        const float qc = Qs[t * S + c], gc = dOs[t * S + c];
#pragma unroll
        for (int j = 0; j < KT; j++) {
          s[j] = fmaf(qc, Ks[j * HD + c], s[j]);
          dp[j] = fmaf(gc, Vs[j * HD + c], dp[j]);
        }
      }
#pragma unroll
      for (int j = 0; j < KT; j++) {
        const float p = (k0 + j <= i) ? expf(s[j] * scale - Li) : 0.f;
        s[j] = p * (dp[j] - Di) * scale;  // ds·scale
      }
      for (int c = 0; c < HD; c++) {
        float a = dQs[t * S + c];
#pragma unroll
        for (int j = 0; j < KT; j++) a = fmaf(s[j], Ks[j * HD + c], a);
        dQs[t * S + c] = a;
      }
    }
  }
  __syncthreads();
  T* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
  for (int e = t; e < ROWS * HD; e += ROWS) {
    const int r = e / HD, c = e % HD;
    if (q0 + r < Tn) out[(size_t)(q0 + r) * ld + c] = from_f<T>(dQs[r * S + c]);
  }
}

template <typename T, int HD, int ROWS>
__global__ void __launch_bounds__(ROWS) attn_bwd_dkv_kernel(T* dqkv, const T* qkv, const T* dy, const float* lse,
                                                            const float* D, int Tn, int H, float scale) {
  extern __shared__ float sm[];
  constexpr int S = HD + 1;
  float* Ks = sm;
  float* Vs = Ks + ROWS * S;
  float* dKs = Vs + ROWS * S;
  float* dVs = dKs + ROWS * S;
  float* Qt = dVs + ROWS * S;
  float* dOt = Qt + KT * HD;
  float* Lt = dOt + KT * HD;
  float* Dt = Lt + KT;
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const int d = H * HD;
  const size_t ld = 3 * (size_t)d;
  const T* base = qkv + (size_t)b * Tn * ld + (size_t)h * HD;
  const T* dyb = dy + (size_t)b * Tn * d + (size_t)h * HD;
  const int k0 = blockIdx.x * ROWS, t = threadIdx.x, j = k0 + t;
  load_rows<T, HD>(Ks, S, base + d, ld, k0, ROWS, Tn, t, ROWS);
  load_rows<T, HD>(Vs, S, base + 2 * d, ld, k0, ROWS, Tn, t, ROWS);
  for (int c = 0; c < HD; c++) dKs[t * S + c] = dVs[t * S + c] = 0.f;
  for (int qs = (k0 / KT) * KT; qs < Tn; qs += KT) {
    __syncthreads();
    load_rows<T, HD>(Qt, HD, base, ld, qs, KT, Tn, t, ROWS);
    load_rows<T, HD>(dOt, HD, dyb, d, qs, KT, Tn, t, ROWS);
    for (int e = t; e < KT; e += ROWS) {
      const int i = qs + e;
      Lt[e] = i < Tn ? lse[(size_t)bh * Tn + i] : 0.f;
      Dt[e] = i < Tn ? D[(size_t)bh * Tn + i] : 0.f;
    }
    __syncthreads();
    if (j < Tn && j < qs + KT) {  // some query of the tile is at or after key j
      float s[KT], dp[KT];
#pragma unroll
      for (int r = 0; r < KT; r++) s[r] = dp[r] = 0.f;
      for (int c = 0; c < HD; c++) {
        const float kc = Ks[t * S + c], vc = Vs[t * S + c];
#pragma unroll
        for (int r = 0; r < KT; r++) {
          s[r] = fmaf(kc, Qt[r * HD + c], s[r]);
          dp[r] = fmaf(vc, dOt[r * HD + c], dp[r]);
        }
      }
#pragma unroll
      for (int r = 0; r < KT; r++) {
        const int i = qs + r;
        const float p = (i >= j && i < Tn) ? expf(s[r] * scale - Lt[r]) : 0.f;
        s[r] = p;
        dp[r] = p * (dp[r] - Dt[r]) * scale;  // ds·scale
      }
      for (int c = 0; c < HD; c++) {
        float dv = dVs[t * S + c], dk = dKs[t * S + c];
#pragma unroll
        for (int r = 0; r < KT; r++) {
          dv = fmaf(s[r], dOt[r * HD + c], dv);
          dk = fmaf(dp[r], Qt[r * HD + c], dk);
        }
        dVs[t * S + c] = dv;
        dKs[t * S + c] = dk;
      }
    }
  }
  __syncthreads();
  T* out = dqkv + (size_t)b * Tn * ld + (size_t)h * HD;
  for (int e = t; e < ROWS * HD; e += ROWS) {
    const int r = e / HD, c = e % HD;
    if (k0 + r < Tn) {
      out[(size_t)(k0 + r) * ld + d + c] = from_f<T>(dKs[r * S + c]);
      out[(size_t)(k0 + r) * ld + 2 * d + c] = from_f<T>(dVs[r * S + c]);
    }
  }
}

template <typename T, int HD>
void fwd(T* y, float* lse, const T* qkv, int B, int Tn, int H) {
  constexpr int R = rows_for<HD>();
  const size_t smem = (2 * R * (HD + 1) + 2 * KT * HD) * sizeof(float);
  set_dynamic_smem(attn_fwd_kernel<T, HD, R>, smem);
  dim3 grid(cdiv(Tn, R), B * H);
  attn_fwd_kernel<T, HD, R><<<grid, R, smem, engine_stream()>>>(y, lse, qkv, Tn, H, 1.0f / sqrtf((float)HD));
  CUDA_LAUNCH_CHECK("attn_fwd");
}

template <typename T, int HD>
void bwd(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B, int Tn, int H) {
  constexpr int R = rows_for<HD>();
  k_attention_bwd_pre<T>(D, y, dy, B, Tn, H, HD);
  const float scale = 1.0f / sqrtf((float)HD);
  dim3 grid(cdiv(Tn, R), B * H);
  const size_t smem_q = (3 * R * (HD + 1) + 2 * KT * HD) * sizeof(float);
  set_dynamic_smem(attn_bwd_dq_kernel<T, HD, R>, smem_q);
  attn_bwd_dq_kernel<T, HD, R><<<grid, R, smem_q, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale);
  CUDA_LAUNCH_CHECK("attn_bwd_dq");
  const size_t smem_kv = (4 * R * (HD + 1) + 2 * KT * HD + 2 * KT) * sizeof(float);
  set_dynamic_smem(attn_bwd_dkv_kernel<T, HD, R>, smem_kv);
  attn_bwd_dkv_kernel<T, HD, R><<<grid, R, smem_kv, engine_stream()>>>(dqkv, qkv, dy, lse, D, Tn, H, scale);
  CUDA_LAUNCH_CHECK("attn_bwd_dkv");
}

}  // namespace

bool attention_supports_head_dim(int hd) { return hd == 16 || hd == 32 || hd == 64 || hd == 128; }

template <typename T>
void k_attention_bwd_pre(float* D, const T* y, const T* dy, int B, int Tn, int H, int hd) {
  if (k_attention_bwd_pre_vec<T>(D, y, dy, B, Tn, H, hd)) return;  // ops.cuh: 16-byte loads, coalesced stores
  const size_t rows = (size_t)B * Tn * H;
  attn_bwd_pre_kernel<T><<<cdiv(rows, 8), 256, 0, engine_stream()>>>(D, y, dy, B, Tn, H, hd);
  CUDA_LAUNCH_CHECK("attn_bwd_pre");
}

template <typename T>
void k_attention_forward_simple(T* y, float* lse, const T* qkv, int B, int Tn, int H, int hd) {
  switch (hd) {
    case 16: return fwd<T, 16>(y, lse, qkv, B, Tn, H);
    case 32: return fwd<T, 32>(y, lse, qkv, B, Tn, H);
    case 64: return fwd<T, 64>(y, lse, qkv, B, Tn, H);
    case 128: return fwd<T, 128>(y, lse, qkv, B, Tn, H);
  }
  throw std::runtime_error("CUDA attention: head_dim " + std::to_string(hd) + " is not supported (16, 32, 64, 128)");
}

template <typename T>
void k_attention_backward_simple(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B,
                                 int Tn, int H, int hd) {
  switch (hd) {
    case 16: return bwd<T, 16>(dqkv, D, qkv, y, dy, lse, B, Tn, H);
    case 32: return bwd<T, 32>(dqkv, D, qkv, y, dy, lse, B, Tn, H);
    case 64: return bwd<T, 64>(dqkv, D, qkv, y, dy, lse, B, Tn, H);
    case 128: return bwd<T, 128>(dqkv, D, qkv, y, dy, lse, B, Tn, H);
  }
  throw std::runtime_error("CUDA attention: head_dim " + std::to_string(hd) + " is not supported (16, 32, 64, 128)");
}

// bf16 default: the tensor-core kernels (tc2: cp.async + ldmatrix, 4 warps). They passed gpu-parity
// against the CPU engine and the CUDA-core kernels on an H100 and an H200 (2026-11-26,
// docs/benchmarks.md); on the H200 they took 12.0 ms per gpt2-124m step against 14.05 ms for the first
// tensor-core version (tc, retired) and 58 ms per 1b step against 100 ms. LOCO_CUDA_ATTN=simple|tc2
// overrides; "tc" (the retired first version) now means tc2.
#ifndef ATTN_DEFAULT
#define ATTN_DEFAULT AttnImpl::TC2
#endif
// read once (it is asked for every layer of every step); gpu-bench's --attn sets it before the first use
AttnImpl attention_impl() {
  static const AttnImpl impl = [] {
    const char* e = getenv("LOCO_CUDA_ATTN");
    if (e && std::string(e) == "simple") return AttnImpl::Simple;
    if (e && (std::string(e) == "tc2" || std::string(e) == "tc")) return AttnImpl::TC2;
    return ATTN_DEFAULT;
  }();
  return impl;
}
bool attention_tc_enabled() { return attention_impl() != AttnImpl::Simple; }

static bool rope_fused_opt_in();
// cuDNN's attention (attention_cudnn.cu) is the default, its forward and its deterministic backward,
// where LOCO_CUDA_ATTN_FWD / _BWD are unset on a compute capability 9.x GPU (H100, H200) and
// libcudnn.so.9 loads: h200-8 (one H200) measured the whole step at 1.13x torch.compile's on
// gpt2-124m and 1.04x on 1b with it, against 0.99x and 0.91x with our kernels. On other GPUs it is
// unmeasured, and our kernels stay the default. A shape cuDNN has no plan for runs on our kernels
// (CudnnNeed::Optional); `own` (either variable) keeps our kernels without trying cuDNN; the fused
// RoPE (LOCO_CUDA_ROPE_FUSED=1, LOCO_CUDA_ROPE_BWD=fused) needs our kernels' tables.
static bool cudnn_default_here() {
  static const bool on = [] {
    if (attention_impl() != AttnImpl::TC2 || rope_fused_opt_in() || cuda_device_cc() / 10 != 9) return false;
    std::string why;
    if (attention_cudnn_loads(&why)) return true;
    fprintf(stderr, "loco-engine: cuDNN attention not used (this engine's kernels run): %s\n", why.c_str());
    return false;
  }();
  return on;
}
bool attention_cudnn_fwd_on() {
  static const bool on = attention_cudnn_fwd_requested() || (env_unset("LOCO_CUDA_ATTN_FWD") && cudnn_default_here());
  return on;
}
bool attention_cudnn_bwd_on() {
  static const bool on = attention_cudnn_bwd_requested() || (env_unset("LOCO_CUDA_ATTN_BWD") &&
                                                              !env_is("LOCO_CUDA_ROPE_BWD", "fused") && cudnn_default_here());
  return on;
}
bool attention_cudnn_bwd_deterministic() {
  return attention_cudnn_bwd_deterministic_requested() || (attention_cudnn_bwd_on() && !attention_cudnn_bwd_requested());
}

std::string attention_impl_name(bool half, int hd) {
  // hd 0: not known yet (a backend not configured)
  if (!half || attention_impl() != AttnImpl::TC2 || (hd && !attention_tc_supports(hd))) return "flash-simple";
  // (with the fused RoPE, LOCO_CUDA_ROPE_FUSED=1, the tc2 forward runs whatever LOCO_CUDA_ATTN_FWD says)
  const bool dnn_fwd = attention_cudnn_fwd_on() && !rope_fused_opt_in(), dnn_bwd = attention_cudnn_bwd_on() && !rope_fused_opt_in();
  // (the tc2 kernels' row shapes only where one of them runs)
  std::string extras = dnn_fwd && dnn_bwd ? std::string() : attention_tc2_wide(hd);
  auto add = [&](const std::string& x) {
    if (!x.empty()) extras += (extras.empty() ? "" : ", ") + x;
  };
  if (dnn_fwd) add("cuDNN forward");
  if (dnn_bwd) add(attention_cudnn_bwd_deterministic() ? "cuDNN backward (deterministic)" : "cuDNN backward");
  if (hd && !dnn_fwd && attention_tc2_wgmma_fwd(hd) && !rope_fused_opt_in()) add(attention_tc2_fwd_name(hd));
  if (!dnn_bwd) add(attention_tc2_bwd_name(hd));
  if (hd && attention_rope_bwd_fused<bf16>(hd)) add("RoPE undone in the backward");
  return extras.empty() ? std::string("flash-tc2") : "flash-tc2 (" + extras + ")";
}

// RoPE inside the tc2 kernels is opt-in (LOCO_CUDA_ROPE_FUSED=1): on an H200 (2026-11-26,
// docs/benchmarks.md) it made gpt2-124m's attention 23.8 ms per step instead of ≈ 12.0 ms plus a
// 0.7 ms RoPE pass — the kernels rotate every streamed tile again, with the table loads' latency
// exposed before a barrier, at an occupancy of 2-3 blocks per SM.
static bool rope_fused_opt_in() {
  static const bool on = getenv("LOCO_CUDA_ROPE_FUSED") && getenv("LOCO_CUDA_ROPE_FUSED")[0] == '1';
  return on;
}
template <typename T>
bool attention_rope_fused(int hd) {
  return std::is_same<T, bf16>::value && attention_impl() == AttnImpl::TC2 && attention_tc_supports(hd) &&
         rope_fused_opt_in();
}

template <typename T>
bool attention_rope_bwd_fused(int hd) {
  static const bool on = env_is("LOCO_CUDA_ROPE_BWD", "fused");
  return on && std::is_same<T, bf16>::value && attention_impl() == AttnImpl::TC2 && attention_tc_supports(hd) &&
         !rope_fused_opt_in() && !attention_tc2_fused_bwd() && !attention_tc2_wgmma_bwd(hd) &&
         !attention_cudnn_bwd_on();
}

template <typename T>
void k_attention_forward(T* y, float* lse, const T* qkv, int B, int Tn, int H, int hd, const float* rope_cs,
                         const float* rope_sn) {
  // tables given = rotate q, k inside the kernels: only when RoPE is fused, or q, k (already rotated
  // by k_rope) would turn twice (a bug gpu-parity found on an H100, 2026-11-26)
  if (rope_cs && !attention_rope_fused<T>(hd))
    throw std::logic_error("k_attention_forward: RoPE tables given but RoPE is not fused");
  if constexpr (std::is_same<T, bf16>::value) {
    const AttnImpl a = attention_impl();
    // cuDNN's forward by default or where asked for, on q, k that k_rope rotated (with the fused RoPE,
    // tc2's); by default, a shape cuDNN cannot run falls through to our kernels
    if (a == AttnImpl::TC2 && attention_cudnn_fwd_on() && !rope_cs &&
        k_attention_forward_cudnn(y, lse, qkv, B, Tn, H, hd,
                                  attention_cudnn_fwd_requested() ? CudnnNeed::Required : CudnnNeed::Optional))
      return;
    if (a == AttnImpl::TC2 && attention_tc_supports(hd))
      return k_attention_forward_tc2(y, lse, qkv, B, Tn, H, hd, rope_cs, rope_sn);
  }
  k_attention_forward_simple<T>(y, lse, qkv, B, Tn, H, hd);
}
template <typename T>
void k_attention_backward(T* dqkv, float* D, const T* qkv, const T* y, const T* dy, const float* lse, int B, int Tn,
                          int H, int hd, const float* rope_cs, const float* rope_sn) {
  const bool rope_out = attention_rope_bwd_fused<T>(hd);  // the tables undo RoPE on dq, dk only
  if (rope_cs && !attention_rope_fused<T>(hd) && !rope_out)
    throw std::logic_error("k_attention_backward: RoPE tables given but RoPE is not fused");
  if constexpr (std::is_same<T, bf16>::value) {
    const AttnImpl a = attention_impl();
    // cuDNN's backward by default or where asked for (its own D; dq, dk for the rotated q, k: k_rope
    // undoes RoPE); by default, a shape cuDNN cannot run falls through to our kernels
    if (a == AttnImpl::TC2 && attention_cudnn_bwd_on() && !rope_cs &&
        k_attention_backward_cudnn(dqkv, D, qkv, y, dy, lse, B, Tn, H, hd, attention_cudnn_bwd_deterministic(),
                                   attention_cudnn_bwd_requested() ? CudnnNeed::Required : CudnnNeed::Optional))
      return;
    if (a != AttnImpl::Simple && attention_tc_supports(hd)) {
      k_attention_bwd_pre<bf16>(D, y, dy, B, Tn, H, hd);
      return k_attention_backward_tc2(dqkv, D, qkv, dy, lse, B, Tn, H, hd, rope_cs, rope_sn, rope_out && rope_cs);
    }
  }
  k_attention_backward_simple<T>(dqkv, D, qkv, y, dy, lse, B, Tn, H, hd);
}

#define INST_ATT(T)                                                                                                  \
  template void k_attention_forward_simple<T>(T*, float*, const T*, int, int, int, int);                            \
  template void k_attention_backward_simple<T>(T*, float*, const T*, const T*, const T*, const float*, int, int, int, \
                                               int);                                                                 \
  template void k_attention_bwd_pre<T>(float*, const T*, const T*, int, int, int, int);                            \
  template void k_attention_forward<T>(T*, float*, const T*, int, int, int, int, const float*, const float*);       \
  template void k_attention_backward<T>(T*, float*, const T*, const T*, const T*, const float*, int, int, int, int,  \
                                        const float*, const float*);                                                 \
  template bool attention_rope_fused<T>(int);                                                                        \
  template bool attention_rope_bwd_fused<T>(int);
INST_ATT(float)
INST_ATT(bf16)
