// GEMM for the CUDA backend: cuBLASLt through dlopen (bf16 tensor cores), and our own tiled kernel.
// Row-major C[M,N] = op(A)[M,K]·op(B)[K,N] is computed as the column-major product
// Cᵀ[N,M] = op(B)ᵀ·op(A)ᵀ, so cuBLASLt's "A" is our B and its "B" is our A.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "common.cuh"
#include "cublaslt_shim.h"
#include "gemm.h"
#include "gemm_tune_cache.h"

// ---- our own kernel: 64×64 tile, K step 16, 256 threads with 4×4 outputs each, fp32 accumulate ---
namespace {
constexpr int TM = 64, TN = 64, TK = 16;

template <typename TA, typename TC>
__global__ void __launch_bounds__(256) gemm_tiled_kernel(bool tA, bool tB, int M, int N, int K, const TA* __restrict__ A,
                                                         int lda, const TA* __restrict__ B, int ldb, TC* C,
                                                         const TC* Cin, int ldc, float alpha, float beta) {
  __shared__ float As[TK][TM + 4];  // As[k][m] = op(A)[m0+m, k0+k]
  __shared__ float Bs[TK][TN + 4];  // Bs[k][n] = op(B)[k0+k, n0+n]
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;
  const int ty = tid / 16, tx = tid % 16;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += TK) {
    for (int e = tid; e < TM * TK; e += 256) {
      int mm, kk;
      if (tA) { kk = e / TM; mm = e % TM; }  // A stored [K, M]: consecutive threads along m
      else { mm = e / TK; kk = e % TK; }     // A stored [M, K]: consecutive threads along k
      const int m = m0 + mm, k = k0 + kk;
      float v = 0.f;
      if (m < M && k < K) v = to_f(tA ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]);
      As[kk][mm] = v;
    }
    for (int e = tid; e < TN * TK; e += 256) {
      int nn, kk;
      if (tB) { nn = e / TK; kk = e % TK; }  // B stored [N, K]
      else { kk = e / TN; nn = e % TN; }     // B stored [K, N]
      const int n = n0 + nn, k = k0 + kk;
      float v = 0.f;
      if (n < N && k < K) v = to_f(tB ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
      Bs[kk][nn] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TK; kk++) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = As[kk][ty * 4 + i];
#pragma unroll
      for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx * 4 + j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const int m = m0 + ty * 4 + i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      const int n = n0 + tx * 4 + j;
      if (n >= N) continue;
      const size_t o = (size_t)m * ldc + n;
      float v = alpha * acc[i][j];
      if (beta != 0.f) v += beta * to_f(Cin[o]);  // Cin is C or a separate addend of the same layout
      C[o] = from_f<TC>(v);
    }
  }
}

template <typename TA, typename TC>
void gemm_own(bool tA, bool tB, int M, int N, int K, const void* A, int lda, const void* B, int ldb, void* C, int ldc,
              const void* Cin, float alpha, float beta) {
  dim3 grid(cdiv(N, TN), cdiv(M, TM));
  if (grid.y > 65535) throw std::runtime_error("gemm: M too large for the fallback kernel");
  gemm_tiled_kernel<TA, TC><<<grid, 256, 0, engine_stream()>>>(tA, tB, M, N, K, (const TA*)A, lda, (const TA*)B, ldb,
                                                              (TC*)C, (const TC*)Cin, ldc, alpha, beta);
  CUDA_LAUNCH_CHECK("gemm_tiled_kernel");
}

// ---- cuBLASLt through dlopen ---------------------------------------------------------------------
struct LtApi {
  void* lib = nullptr;
  lt::Handle handle = nullptr;
  size_t version = 0;
  lt::CreateFn create;
  lt::GetVersionFn get_version;
  lt::MatmulDescCreateFn desc_create;
  lt::MatmulDescDestroyFn desc_destroy;
  lt::MatmulDescSetAttributeFn desc_set;
  lt::MatrixLayoutCreateFn layout_create;
  lt::MatrixLayoutDestroyFn layout_destroy;
  lt::MatmulPreferenceCreateFn pref_create;
  lt::MatmulPreferenceDestroyFn pref_destroy;
  lt::MatmulPreferenceSetAttributeFn pref_set;
  lt::MatmulAlgoGetHeuristicFn heuristic;
  lt::MatmulFn matmul;
  void* workspace = nullptr;
  size_t workspace_bytes = 32u << 20;  // 32 MiB, as recommended for Hopper
  bool tried = false, ok = false;
  std::string why;
};
LtApi g_lt;
std::mutex g_lt_mu;

struct LtKey {
  bool tA, tB;
  int M, N, K, lda, ldb, ldc;
  int ab, c;
  unsigned alA, alB, alC, alCin;  // alC: the output D; alCin: the addend C (= alC when in place)
  bool beta0;
  bool operator<(const LtKey& o) const {
    return std::tie(tA, tB, M, N, K, lda, ldb, ldc, ab, c, alA, alB, alC, alCin, beta0) <
           std::tie(o.tA, o.tB, o.M, o.N, o.K, o.lda, o.ldb, o.ldc, o.ab, o.c, o.alA, o.alB, o.alC, o.alCin, o.beta0);
  }
};
struct LtPlan {
  bool usable = false;
  lt::MatmulDesc desc = nullptr;
  lt::MatrixLayout a = nullptr, b = nullptr, c = nullptr;
  lt::MatmulAlgo algo;
  std::vector<lt::MatmulAlgo> cands;  // the heuristic's candidates, timed at first use (tuning on)
  bool tuned = false;
};
std::map<LtKey, LtPlan> g_plans;
// Tuning (the default; LOCO_CUDA_GEMM_TUNE=0 turns it off and takes the heuristic's first): time up
// to 8 of the heuristic's algorithms on the first call of each shape and keep the fastest — on an
// H200 (2026-11-26, docs/benchmarks.md) 1.9 ms less per gpt2-124m step, 3.1 ms per 1b step. Within a
// process every call of a shape uses one algorithm, so steps repeat bit for bit; the choice is kept
// in a file (gemm_tune_cache.h) so later processes on the machine use the same one instead of
// timing again and perhaps choosing another (a split-K algorithm adds in another order).
const bool g_tune = !(getenv("LOCO_CUDA_GEMM_TUNE") && getenv("LOCO_CUDA_GEMM_TUNE")[0] == '0');
struct TuneStore {
  bool loaded = false;
  std::string path;  // "" when the choices are not persisted
  gemm_tune::Cache cache;
};
TuneStore g_store;

// The cache key of a matmul: everything LtKey holds, with no spaces; with another number of timed
// candidates than 8 (LOCO_CUDA_GEMM_TUNE_ALGOS) that number too, so a choice among 8 is never taken
// for a choice among more.
std::string tune_key(const LtKey& k) {
  char b[200];
  snprintf(b, sizeof b, "tA%d.tB%d.M%d.N%d.K%d.lda%d.ldb%d.ldc%d.ab%d.c%d.al%u.%u.%u.%u.b%d", k.tA, k.tB, k.M, k.N, k.K,
           k.lda, k.ldb, k.ldc, k.ab, k.c, k.alA, k.alB, k.alC, k.alCin, k.beta0);
  const int n = gemm_tune_algos();
  return n == 8 ? std::string(b) : std::string(b) + ".n" + std::to_string(n);
}
gemm_tune::Choice tune_choice(int index, const lt::MatmulAlgo& a) {
  gemm_tune::Choice c;
  c.index = index;
  std::memcpy(c.algo.data(), a.data, sizeof a.data);
  return c;
}
void tune_store_load() {
  g_store.loaded = true;
  int dev = 0;
  cudaDeviceProp prop;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  g_store.path = gemm_tune::cache_path(prop.name, g_lt.version);
  std::string why;
  if (!g_store.path.empty() && !gemm_tune::load(g_store.path, g_store.cache, &why))
    fprintf(stderr, "loco-engine: ignoring the matmul tuning cache: %s\n", why.c_str());
}

template <typename F>
bool sym(F& f, const char* name) {
  f = (F)dlsym(g_lt.lib, name);
  if (!f) g_lt.why = std::string("libcublasLt has no symbol ") + name;
  return f != nullptr;
}

unsigned align_of(const void* p) {
  const uintptr_t a = (uintptr_t)p;
  unsigned al = 256;
  while (al > 1 && (a % al) != 0) al >>= 1;
  return al;
}

void lt_check(lt::Status s, const char* what) {
  if (s != 0) throw std::runtime_error(std::string("cuBLASLt ") + what + " failed with status " + std::to_string(s));
}

// Builds (once per shape/alignment) the descriptors and picks the heuristic's first algorithm.
LtPlan& lt_plan(const LtKey& k) {
  auto it = g_plans.find(k);
  if (it != g_plans.end()) return it->second;
  LtPlan p;
  const int abt = k.ab == (int)DType::BF16 ? lt::R_16BF : lt::R_32F;
  const int ct = k.c == (int)DType::BF16 ? lt::R_16BF : lt::R_32F;
  lt_check(g_lt.desc_create(&p.desc, lt::COMPUTE_32F, lt::R_32F), "MatmulDescCreate");
  // column-major problem: D'[N,M] = opA'(our B)·opB'(our A)
  const int opA = k.tB ? lt::OP_T : lt::OP_N;
  const int opB = k.tA ? lt::OP_T : lt::OP_N;
  lt_check(g_lt.desc_set(p.desc, lt::MATMUL_DESC_TRANSA, &opA, sizeof(opA)), "MatmulDescSetAttribute(TRANSA)");
  lt_check(g_lt.desc_set(p.desc, lt::MATMUL_DESC_TRANSB, &opB, sizeof(opB)), "MatmulDescSetAttribute(TRANSB)");
  // stored shapes in column-major terms: our row-major X[r, c] with ld is column-major [c, r]
  if (!k.tB) lt_check(g_lt.layout_create(&p.a, abt, (uint64_t)k.N, (uint64_t)k.K, k.ldb), "MatrixLayoutCreate(A)");
  else lt_check(g_lt.layout_create(&p.a, abt, (uint64_t)k.K, (uint64_t)k.N, k.ldb), "MatrixLayoutCreate(A)");
  if (!k.tA) lt_check(g_lt.layout_create(&p.b, abt, (uint64_t)k.K, (uint64_t)k.M, k.lda), "MatrixLayoutCreate(B)");
  else lt_check(g_lt.layout_create(&p.b, abt, (uint64_t)k.M, (uint64_t)k.K, k.lda), "MatrixLayoutCreate(B)");
  lt_check(g_lt.layout_create(&p.c, ct, (uint64_t)k.N, (uint64_t)k.M, k.ldc), "MatrixLayoutCreate(C)");
  lt::MatmulPreference pref = nullptr;
  lt_check(g_lt.pref_create(&pref), "MatmulPreferenceCreate");
  uint64_t ws = g_lt.workspace_bytes;
  lt_check(g_lt.pref_set(pref, lt::PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)), "PreferenceSetAttribute(workspace)");
  uint32_t alA = k.alB, alB = k.alA, alC = k.alCin, alD = k.alC;  // their A is our B
  lt_check(g_lt.pref_set(pref, lt::PREF_MIN_ALIGNMENT_A_BYTES, &alA, sizeof(alA)), "PreferenceSetAttribute(alignA)");
  lt_check(g_lt.pref_set(pref, lt::PREF_MIN_ALIGNMENT_B_BYTES, &alB, sizeof(alB)), "PreferenceSetAttribute(alignB)");
  lt_check(g_lt.pref_set(pref, lt::PREF_MIN_ALIGNMENT_C_BYTES, &alC, sizeof(alC)), "PreferenceSetAttribute(alignC)");
  lt_check(g_lt.pref_set(pref, lt::PREF_MIN_ALIGNMENT_D_BYTES, &alD, sizeof(alD)), "PreferenceSetAttribute(alignD)");
  const int want = g_tune ? gemm_tune_algos() : 1;
  std::vector<lt::MatmulHeuristicResult> res(want);
  std::memset(res.data(), 0, sizeof(res[0]) * res.size());
  int got = 0;
  lt::Status s = g_lt.heuristic(g_lt.handle, p.desc, p.a, p.b, p.c, p.c, pref, want, res.data(), &got);
  g_lt.pref_destroy(pref);
  if (s == 0)
    for (int i = 0; i < got && i < want; i++)
      if (res[i].state == 0 && res[i].workspaceSize <= g_lt.workspace_bytes) p.cands.push_back(res[i].algo);
  if (!p.cands.empty()) {
    p.usable = true;
    p.algo = p.cands[0];
    p.tuned = p.cands.size() < 2;
  } else {
    fprintf(stderr, "loco-engine: cuBLASLt has no algorithm for gemm tA=%d tB=%d M=%d N=%d K=%d (status %d, %d found); "
                    "using the built-in kernel for it\n", k.tA, k.tB, k.M, k.N, k.K, s, got);
  }
  return g_plans.emplace(k, p).first->second;
}

// Times each candidate of p (one warm-up, then the median of 3 runs, CUDA events) with the real
// inputs and a scratch output (so accumulating calls do not accumulate twice) and keeps the fastest.
// Falls back to the heuristic's first when the scratch cannot be had.
void lt_tune(LtPlan& p, const LtKey& k, const void* alpha, const void* A, const void* B, const void* beta,
             const void* C_in) {
  p.tuned = true;
  if (!g_store.loaded) tune_store_load();
  const std::string key = tune_key(k);
  const auto hit = g_store.cache.find(key);
  if (hit != g_store.cache.end()) {
    const int i = hit->second.index;
    if (i < (int)p.cands.size() && tune_choice(i, p.cands[i]) == hit->second) {  // the same candidate as then
      p.algo = p.cands[i];
      return;
    }
  }
  const size_t elt = k.c == (int)DType::BF16 ? 2 : 4;
  const size_t bytes = ((size_t)(k.M - 1) * k.ldc + k.N) * elt;
  if (bytes > ((size_t)1 << 29)) return;  // > 512 MiB: not worth the memory
  void* scratch = nullptr;
  if (cudaMalloc(&scratch, bytes) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  float best = 1e30f;
  size_t best_i = 0;
  for (size_t i = 0; i < p.cands.size(); i++) {
    auto run = [&]() {
      return g_lt.matmul(g_lt.handle, p.desc, alpha, B, p.a, A, p.b, beta, C_in, p.c, scratch, p.c, &p.cands[i],
                         g_lt.workspace, g_lt.workspace_bytes, engine_stream());
    };
    if (run() != 0) continue;
    float t[3];
    bool ok = true;
    for (float& x : t) {
      cudaEventRecord(e0, engine_stream());
      ok = ok && run() == 0;
      cudaEventRecord(e1, engine_stream());
      cudaEventSynchronize(e1);
      cudaEventElapsedTime(&x, e0, e1);
    }
    if (!ok) continue;
    std::sort(t, t + 3);
    if (t[1] < best) {
      best = t[1];
      best_i = i;
    }
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaFree(scratch);
  cudaGetLastError();
  p.algo = p.cands[best_i];
  g_store.cache[key] = tune_choice((int)best_i, p.algo);
  std::string why;
  gemm_tune::Cache disk;  // what other processes stored meanwhile is kept (ours wins where both tuned)
  if (!g_store.path.empty() && gemm_tune::load(g_store.path, disk, nullptr))
    for (const auto& e : disk) g_store.cache.emplace(e);
  if (!g_store.path.empty() && !gemm_tune::save(g_store.path, g_store.cache, &why)) {
    fprintf(stderr, "loco-engine: the matmul tuning cache is not kept: %s\n", why.c_str());
    g_store.path.clear();  // say it once
  }
}

}  // namespace

bool gemm_lt_load(std::string* why) {
  std::lock_guard<std::mutex> g(g_lt_mu);
  if (!g_lt.tried) {
    g_lt.tried = true;
    const char* names[] = {"libcublasLt.so.13", "libcublasLt.so", "libcublasLt.so.12"};
    for (const char* n : names) {
      g_lt.lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
      if (g_lt.lib) break;
    }
    if (!g_lt.lib) {
      const char* e = dlerror();
      g_lt.why = std::string("cannot load libcublasLt: ") + (e ? e : "not found");
    } else if (sym(g_lt.create, "cublasLtCreate") && sym(g_lt.get_version, "cublasLtGetVersion") &&
               sym(g_lt.desc_create, "cublasLtMatmulDescCreate") && sym(g_lt.desc_destroy, "cublasLtMatmulDescDestroy") &&
               sym(g_lt.desc_set, "cublasLtMatmulDescSetAttribute") &&
               sym(g_lt.layout_create, "cublasLtMatrixLayoutCreate") &&
               sym(g_lt.layout_destroy, "cublasLtMatrixLayoutDestroy") &&
               sym(g_lt.pref_create, "cublasLtMatmulPreferenceCreate") &&
               sym(g_lt.pref_destroy, "cublasLtMatmulPreferenceDestroy") &&
               sym(g_lt.pref_set, "cublasLtMatmulPreferenceSetAttribute") &&
               sym(g_lt.heuristic, "cublasLtMatmulAlgoGetHeuristic") && sym(g_lt.matmul, "cublasLtMatmul")) {
      lt::Status s = g_lt.create(&g_lt.handle);
      if (s != 0) {
        g_lt.why = "cublasLtCreate failed with status " + std::to_string(s);
      } else if (cudaMalloc(&g_lt.workspace, g_lt.workspace_bytes) != cudaSuccess) {
        cudaGetLastError();
        g_lt.why = "cannot allocate the cuBLASLt workspace";
      } else {
        g_lt.version = g_lt.get_version();
        g_lt.ok = true;
      }
    }
  }
  if (!g_lt.ok && why) *why = g_lt.why;
  return g_lt.ok;
}

std::string gemm_lt_describe() {
  if (!g_lt.ok) return "none";
  const int n = gemm_tune_algos();
  return "cublasLt " + std::to_string(g_lt.version) +
         (g_tune ? n == 8 ? " (tuned)" : " (tuned among " + std::to_string(n) + ")" : "");
}

int gemm_tune_algos() {
  static const int n = (int)env_count("LOCO_CUDA_GEMM_TUNE_ALGOS", 2, 64, 8);
  return n;
}

void gemm(bool tA, bool tB, int M, int N, int K, const void* A, int lda, const void* B, int ldb, void* C, int ldc,
          DType ab, DType c, float alpha, float beta, const GemmOpts& o, const void* C_in) {
  if (M <= 0 || N <= 0) return;
  if (!C_in) C_in = C;
  if (K <= 0) throw std::runtime_error("gemm: K must be positive");
  if (o.use_lt && g_lt.ok) {
    LtKey k{tA, tB, M, N, K, lda, ldb, ldc, (int)ab, (int)c, align_of(A), align_of(B), align_of(C),
             align_of(C_in), beta == 0.f};
    LtPlan& p = lt_plan(k);
    if (p.usable && !p.tuned) lt_tune(p, k, &alpha, A, B, &beta, C_in);
    if (p.usable) {
      // their A = our B, their B = our A
      lt_check(g_lt.matmul(g_lt.handle, p.desc, &alpha, B, p.a, A, p.b, &beta, C_in, p.c, C, p.c, &p.algo, g_lt.workspace,
                           g_lt.workspace_bytes, engine_stream()),
               "Matmul");
      return;
    }
  }
  if (ab == DType::F32 && c == DType::F32)
    gemm_own<float, float>(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, C_in, alpha, beta);
  else if (ab == DType::F32 && c == DType::BF16)
    gemm_own<float, bf16>(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, C_in, alpha, beta);
  else if (ab == DType::BF16 && c == DType::F32)
    gemm_own<bf16, float>(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, C_in, alpha, beta);
  else
    gemm_own<bf16, bf16>(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, C_in, alpha, beta);
}
