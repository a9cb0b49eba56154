// Element-wise and reduction kernels of the CUDA backend (ops.cuh).
#include <cmath>

#include "ops.cuh"

namespace {

__global__ void embed_forward_kernel(float* out, const float* E, const int* x, int N, int d) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * d) return;
  const size_t i = idx / d, j = idx % d;
  out[idx] = E[(size_t)x[i] * d + j];
}

__global__ void embed_backward_kernel(float* dE, const float* dres, const int* uniq, const int* starts, const int* pos,
                                      int d) {
  const int u = blockIdx.x;
  const int tok = uniq[u], a = starts[u], b = starts[u + 1];
  for (int j = blockIdx.y * blockDim.x + threadIdx.x; j < d; j += gridDim.y * blockDim.x) {
    float acc = 0.f;
    for (int p = a; p < b; p++) acc += dres[(size_t)pos[p] * d + j];
    dE[(size_t)tok * d + j] += acc;
  }
}

// One warp per row.
template <typename T>
__global__ void rmsnorm_forward_kernel(T* out, float* rstd, const float* x, const float* g, int N, int C, float eps) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const float* xr = x + (size_t)row * C;
  float ss = 0.f;
  for (int j = lane; j < C; j += 32) ss += xr[j] * xr[j];
  ss = warp_sum(ss);
  const float r = 1.0f / sqrtf(ss / C + eps);
  if (lane == 0) rstd[row] = r;
  T* o = out + (size_t)row * C;
  for (int j = lane; j < C; j += 32) o[j] = from_f<T>(xr[j] * r * g[j]);
}

template <typename T>
__global__ void rmsnorm_backward_kernel(float* dres, T* dres_act, const float* dy, const float* x, const float* g,
                                        const float* rstd, int N, int C) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const size_t o = (size_t)row * C;
  float dot = 0.f;
  for (int j = lane; j < C; j += 32) dot += g[j] * dy[o + j] * x[o + j];
  dot = warp_sum(dot);
  const float r = rstd[row];
  const float coef = dot * r * r * r / C;
  for (int j = lane; j < C; j += 32) {
    const float v = dres[o + j] + (r * g[j] * dy[o + j] - coef * x[o + j]);
    dres[o + j] = v;
    dres_act[o + j] = from_f<T>(v);
  }
}

constexpr int DG_ROWS = 128;
__global__ void rmsnorm_dg_partial_kernel(float* scratch, const float* dy, const float* x, const float* rstd, int N,
                                          int C) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= C) return;
  const int r0 = blockIdx.y * DG_ROWS, r1 = min(N, r0 + DG_ROWS);
  float acc = 0.f;
  for (int r = r0; r < r1; r++) acc += dy[(size_t)r * C + j] * x[(size_t)r * C + j] * rstd[r];
  scratch[(size_t)blockIdx.y * C + j] = acc;
}
__global__ void rmsnorm_dg_final_kernel(float* dg, const float* scratch, int chunks, int C) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= C) return;
  float acc = 0.f;
  for (int c = 0; c < chunks; c++) acc += scratch[(size_t)c * C + j];
  dg[j] += acc;
}

template <typename T>
__global__ void rope_kernel(T* qkv, const float* cs, const float* sn, int B, int Tn, int H, int hd, float sign) {
  const int half = hd / 2;
  const size_t total = (size_t)B * Tn * H * half;
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  const int i = (int)(idx % half);
  const int h = (int)((idx / half) % H);
  const size_t row = idx / ((size_t)half * H);  // b·T + t
  const int t = (int)(row % Tn);
  const float c = cs[(size_t)t * half + i], s = sign * sn[(size_t)t * half + i];
  const size_t d = (size_t)H * hd;
#pragma unroll
  for (int part = 0; part < 2; part++) {  // q, then k
    T* u = qkv + row * 3 * d + part * d + (size_t)h * hd;
    const float a = to_f(u[i]), b = to_f(u[i + half]);
    u[i] = from_f<T>(a * c - b * s);
    u[i + half] = from_f<T>(b * c + a * s);
  }
}

template <typename T>
__global__ void swiglu_forward_kernel(T* s, const T* gu, int N, int F) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * F) return;
  const size_t r = idx / F, j = idx % F;
  const float g = to_f(gu[r * 2 * F + j]), u = to_f(gu[r * 2 * F + F + j]);
  const float sg = 1.0f / (1.0f + expf(-g));
  s[idx] = from_f<T>(g * sg * u);
}

template <typename T>
__global__ void swiglu_backward_kernel(T* dgu, const T* ds, const T* gu, int N, int F) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * F) return;
  const size_t r = idx / F, j = idx % F;
  const float g = to_f(gu[r * 2 * F + j]), u = to_f(gu[r * 2 * F + F + j]);
  const float d = to_f(ds[idx]);
  const float sg = 1.0f / (1.0f + expf(-g));
  dgu[r * 2 * F + F + j] = from_f<T>(d * g * sg);
  dgu[r * 2 * F + j] = from_f<T>(d * u * sg * (1.0f + g * (1.0f - sg)));
}

// One block per row: online max/Σexp, then the loss and (optionally) the gradient in one more pass.
constexpr int CE_THREADS = 512;
template <typename T>
__global__ void __launch_bounds__(CE_THREADS) crossentropy_kernel(const float* logits, T* dlogits, float* row_loss,
                                                                  const int* y, int V, int Vp, float scale) {
  const int r = blockIdx.x;
  const float* l = logits + (size_t)r * Vp;
  float m = -INFINITY, s = 0.f;
  for (int j = threadIdx.x; j < V; j += CE_THREADS) {
    const float v = l[j];
    if (v > m) {
      s = s * expf(m - v) + 1.0f;
      m = v;
    } else {
      s += expf(v - m);
    }
  }
  // combine (m, s) pairs: warp, then across warps
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
    const float mm = fmaxf(m, m2);
    s = (m == -INFINITY ? 0.f : s * expf(m - mm)) + (m2 == -INFINITY ? 0.f : s2 * expf(m2 - mm));
    m = mm;
  }
  __shared__ float sm_m[CE_THREADS / 32], sm_s[CE_THREADS / 32];
  __shared__ float sh_lse;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    sm_m[w] = m;
    sm_s[w] = s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float M = -INFINITY;
    for (int i = 0; i < CE_THREADS / 32; i++) M = fmaxf(M, sm_m[i]);
    float S = 0.f;
    for (int i = 0; i < CE_THREADS / 32; i++)
      if (sm_m[i] != -INFINITY) S += sm_s[i] * expf(sm_m[i] - M);
    const float lse = M + logf(S);
    sh_lse = lse;
    row_loss[r] = lse - l[y[r]];
  }
  __syncthreads();
  if (!dlogits) return;
  const float lse = sh_lse;
  const int tgt = y[r];
  T* dl = dlogits + (size_t)r * Vp;
  for (int j = threadIdx.x; j < Vp; j += CE_THREADS) {
    float v = 0.f;
    if (j < V) v = (expf(l[j] - lse) - (j == tgt ? 1.0f : 0.0f)) * scale;
    dl[j] = from_f<T>(v);
  }
}

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, bf16* pcopy, size_t n, float lr, float beta1,
                             float beta2, float eps, float weight_decay, float grad_scale, float bc1, float bc2) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  // Same operations and order as adamw.cpp, with explicit roundings (no contraction into FMA).
  const float decay = __fsub_rn(1.0f, __fmul_rn(lr, weight_decay));
  const float gi = __fmul_rn(g[i], grad_scale);
  const float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(__fsub_rn(1.0f, beta1), gi));
  const float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(__fsub_rn(1.0f, beta2), gi), gi));
  m[i] = mi;
  v[i] = vi;
  const float mhat = __fdiv_rn(mi, bc1);
  const float vhat = __fdiv_rn(vi, bc2);
  const float np = __fsub_rn(__fmul_rn(p[i], decay), __fdiv_rn(__fmul_rn(lr, mhat), __fadd_rn(__fsqrt_rn(vhat), eps)));
  p[i] = np;
  if (pcopy) pcopy[i] = __float2bfloat16_rn(np);
}

__global__ void sum_squares_kernel(double* partial, const float* x, size_t n) {
  double acc = 0;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    acc += (double)x[i] * (double)x[i];
  __shared__ double sh[256];
  sh[threadIdx.x] = acc;
  __syncthreads();
  for (int s = 128; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sh[0];
}

__global__ void to_bf16_kernel(bf16* dst, const float* src, size_t n) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = __float2bfloat16_rn(src[i]);
}
__global__ void axpy_kernel(float* p, const float* u, float alpha, size_t n) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] += alpha * u[i];
}
__global__ void gather_kernel(float* out, const float* p, const uint64_t* idx, size_t n) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = p[idx[i]];
}

}  // namespace

void k_embed_forward(float* out, const float* E, const int* x, int N, int d) {
  embed_forward_kernel<<<cdiv((size_t)N * d, 256), 256>>>(out, E, x, N, d);
  CUDA_LAUNCH_CHECK("embed_forward");
}
void k_embed_backward(float* dE, const float* dres, const int* uniq, const int* starts, const int* pos, int U, int d) {
  if (U == 0) return;
  dim3 grid(U, cdiv(d, 256));
  embed_backward_kernel<<<grid, 256>>>(dE, dres, uniq, starts, pos, d);
  CUDA_LAUNCH_CHECK("embed_backward");
}
template <typename T>
void k_rmsnorm_forward(T* out, float* rstd, const float* x, const float* g, int N, int C, float eps) {
  rmsnorm_forward_kernel<T><<<cdiv(N, 8), 256>>>(out, rstd, x, g, N, C, eps);
  CUDA_LAUNCH_CHECK("rmsnorm_forward");
}
template <typename T>
void k_rmsnorm_backward(float* dres, T* dres_act, const float* dy, const float* x, const float* g, const float* rstd,
                        int N, int C) {
  rmsnorm_backward_kernel<T><<<cdiv(N, 8), 256>>>(dres, dres_act, dy, x, g, rstd, N, C);
  CUDA_LAUNCH_CHECK("rmsnorm_backward");
}
size_t rmsnorm_dg_scratch(int N, int C) { return (size_t)cdiv(N, DG_ROWS) * C; }
void k_rmsnorm_dg(float* dg, float* scratch, const float* dy, const float* x, const float* rstd, int N, int C) {
  const unsigned chunks = cdiv(N, DG_ROWS);
  rmsnorm_dg_partial_kernel<<<dim3(cdiv(C, 256), chunks), 256>>>(scratch, dy, x, rstd, N, C);
  CUDA_LAUNCH_CHECK("rmsnorm_dg_partial");
  rmsnorm_dg_final_kernel<<<cdiv(C, 256), 256>>>(dg, scratch, (int)chunks, C);
  CUDA_LAUNCH_CHECK("rmsnorm_dg_final");
}
template <typename T>
void k_rope(T* qkv, const float* cs, const float* sn, int B, int Tn, int H, int hd, bool inverse) {
  const size_t total = (size_t)B * Tn * H * (hd / 2);
  rope_kernel<T><<<cdiv(total, 256), 256>>>(qkv, cs, sn, B, Tn, H, hd, inverse ? -1.0f : 1.0f);
  CUDA_LAUNCH_CHECK("rope");
}
template <typename T>
void k_swiglu_forward(T* s, const T* gu, int N, int F) {
  swiglu_forward_kernel<T><<<cdiv((size_t)N * F, 256), 256>>>(s, gu, N, F);
  CUDA_LAUNCH_CHECK("swiglu_forward");
}
template <typename T>
void k_swiglu_backward(T* dgu, const T* ds, const T* gu, int N, int F) {
  swiglu_backward_kernel<T><<<cdiv((size_t)N * F, 256), 256>>>(dgu, ds, gu, N, F);
  CUDA_LAUNCH_CHECK("swiglu_backward");
}
template <typename T>
void k_crossentropy(const float* logits, T* dlogits, float* row_loss, const int* y, int R, int V, int Vp, float scale) {
  if (R == 0) return;
  crossentropy_kernel<T><<<R, CE_THREADS>>>(logits, dlogits, row_loss, y, V, Vp, scale);
  CUDA_LAUNCH_CHECK("crossentropy");
}
void k_adamw(float* p, const float* g, float* m, float* v, bf16* pcopy, size_t n, float lr, float beta1, float beta2,
             float eps, float weight_decay, float grad_scale, float bc1, float bc2) {
  adamw_kernel<<<cdiv(n, 256), 256>>>(p, g, m, v, pcopy, n, lr, beta1, beta2, eps, weight_decay, grad_scale, bc1, bc2);
  CUDA_LAUNCH_CHECK("adamw");
}
void k_sum_squares(double* partial, const float* x, size_t n) {
  sum_squares_kernel<<<SUMSQ_BLOCKS, 256>>>(partial, x, n);
  CUDA_LAUNCH_CHECK("sum_squares");
}
void k_to_bf16(bf16* dst, const float* src, size_t n) {
  to_bf16_kernel<<<cdiv(n, 256), 256>>>(dst, src, n);
  CUDA_LAUNCH_CHECK("to_bf16");
}
void k_axpy(float* p, const float* u, float alpha, size_t n) {
  axpy_kernel<<<cdiv(n, 256), 256>>>(p, u, alpha, n);
  CUDA_LAUNCH_CHECK("axpy");
}
void k_gather(float* out, const float* p, const uint64_t* idx, size_t n) {
  if (n == 0) return;
  gather_kernel<<<cdiv(n, 256), 256>>>(out, p, idx, n);
  CUDA_LAUNCH_CHECK("gather");
}

#define INST(T)                                                                                                     \
  template void k_rmsnorm_forward<T>(T*, float*, const float*, const float*, int, int, float);                      \
  template void k_rmsnorm_backward<T>(float*, T*, const float*, const float*, const float*, const float*, int, int); \
  template void k_rope<T>(T*, const float*, const float*, int, int, int, int, bool);                                \
  template void k_swiglu_forward<T>(T*, const T*, int, int);                                                        \
  template void k_swiglu_backward<T>(T*, const T*, const T*, int, int);                                             \
  template void k_crossentropy<T>(const float*, T*, float*, const int*, int, int, int, float);
INST(float)
INST(bf16)
