// codec-cuda: the GPU SparseLoCo codec (src/cuda/codec.cu) against the CPU codec (src/codec.cpp).
//
//   build/codec-cuda [parity] [bench] [--config gpt2-124m|1b] [--peers 8] [--reps 20] [--no-full-parity]
//                    [--variants 0,2]   (select kernel variants besides the default, 1: parity runs the
//                                          default and each listed one; bench times the default and
//                                          checks/times each other listed one against it)
//
// parity: deterministic tensors of many shapes (gpt2-124m-like, 1-D, prime and non-multiple-of-64
//   dimensions, a chunk of 128×128) and value patterns (Gaussian, heavy tailed, many ties, ±0, all
//   zeros, constant), several error-feedback rounds and peers; both codecs encode, and the indices,
//   codes, quantisation parameters, error-feedback buffer, payload sections (src/codec/bits.ts
//   layout) and the aggregate + outer step must agree bit for bit.
// bench: EF + compress of a whole model's parameter set (default gpt2-124m, 123.6M fp32) and the
//   8-peer decode + aggregate (aggregate_ms: dense update written; aggregate_outer_ms: the outer
//   step applied to θ in place, no dense update), timed with CUDA events, against a device memcpy of the same bytes
//   in the same run; the first peer's encode and the aggregate are also checked against the CPU.
// Prints one JSON object on stdout; progress and failures (which check, which tensor, why) on
// stderr. Exit 0 only when every check passed.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../src/codec.h"
#include "../src/cuda/codec.cuh"

using namespace loco;
using gpucodec::HostEncoded;
using gpucodec::Plan;

#define CUDA_OK(x)                                                                                     \
  do {                                                                                                 \
    cudaError_t e_ = (x);                                                                              \
    if (e_ != cudaSuccess) {                                                                           \
      std::fprintf(stderr, "codec-cuda: %s failed: %s (%s:%d)\n", #x, cudaGetErrorString(e_), __FILE__, __LINE__); \
      std::exit(3);                                                                                    \
    }                                                                                                  \
  } while (0)

static void fail(const std::string& m) {
  std::fprintf(stderr, "codec-cuda: %s\n", m.c_str());
  std::exit(3);
}

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

static std::string jstr(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if ((unsigned char)c < 0x20) o += ' ';
    else o += c;
  }
  return o + "\"";
}

static uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// --- deterministic data -------------------------------------------------------------------------

static inline uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static inline double unif(uint64_t& s) { return ((splitmix(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

enum Dist { kGauss, kHeavy, kTies, kSignedZeros, kZeros, kConst, kTreeCancel, kTreeMid };
static const char* dist_name(Dist d) {
  switch (d) {
    case kGauss: return "gauss";
    case kHeavy: return "heavy";
    case kTies: return "ties";
    case kSignedZeros: return "signed-zeros";
    case kZeros: return "zeros";
    case kTreeCancel: return "tree-cancel";
    case kTreeMid: return "tree-mid";
    default: return "const";
  }
}

// Vectors of n/64 chunks (all kept) whose shift (kTreeCancel) or lut[2] (kTreeMid) differ between
// the contract's 32-ary summation tree and plain chunk order: the same values as
// test/helpers/codec-tree.ts treeCancelVector / treeMidVector (see there why).
static void gen_tree(float* d, int64_t n, Dist dist) {
  const int64_t nc = n / 64;
  std::fill(d, d + n, 0.0f);
  if (dist == kTreeCancel) {
    for (int64_t c = 0; c < nc; c++) d[64 * c] = c == 0 ? std::ldexp(1.0f, 60) : c == 32 ? -std::ldexp(1.0f, 60) : 1.0f;
    return;
  }
  std::vector<uint8_t> reserved(n, 0);
  const float v0[4] = {1.0f, std::ldexp(1.0f, -24), -1.0f, -std::ldexp(1.0f, -24)};
  for (int i = 0; i < 4 && i < n; i++) d[i] = v0[i], reserved[i] = 1;
  const int64_t sm = std::max<int64_t>(0, std::min<int64_t>(32, nc - 32));
  for (int64_t c = 32; c < 32 + sm; c++) {
    d[64 * c] = std::ldexp(1.0f, -54);
    d[64 * c + 1] = -std::ldexp(1.0f, -54);
    reserved[64 * c] = reserved[64 * c + 1] = 1;
  }
  int64_t m = 1;
  while (m * 2 <= n - (2 + sm)) m *= 2;
  int64_t pairs = (n - (2 + sm) - m) / 2;
  for (int64_t i = 0; i + 1 < n && pairs > 0; i += 2) {
    if (reserved[i] || reserved[i + 1]) continue;
    d[i] = 8.0f;
    d[i + 1] = -8.0f;
    pairs--;
  }
}

static void gen(float* d, int64_t n, Dist dist, uint64_t seed) {
  if (dist == kTreeCancel || dist == kTreeMid) return gen_tree(d, n, dist);
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 12345;
  for (int64_t i = 0; i < n; i++) {
    switch (dist) {
      case kGauss: {
        double u1 = unif(s), u2 = unif(s);
        d[i] = (float)(1e-3 * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
        break;
      }
      case kHeavy: {  // Cauchy-like, clipped far out
        double u = unif(s);
        double v = std::tan(3.141592653589793 * (u - 0.5));
        d[i] = (float)(1e-4 * std::max(-1e6, std::min(1e6, v)));
        break;
      }
      case kTies: {
        static const float lv[6] = {-0.5f, -0.25f, -0.0f, 0.0f, 0.25f, 0.5f};
        d[i] = lv[splitmix(s) % 6];
        break;
      }
      case kSignedZeros: {
        uint64_t z = splitmix(s);
        d[i] = (z % 7 == 0) ? (float)((int)(z % 5) - 2) * 0.125f : ((z >> 8) & 1 ? -0.0f : 0.0f);
        break;
      }
      case kZeros: d[i] = 0.0f; break;
      default: d[i] = 0.375f; break;
    }
  }
}

// --- model shapes -------------------------------------------------------------------------------

struct Model {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
};

static Model model_shapes(int64_t V, int64_t d, int L, int64_t ff) {
  Model m;
  auto add = [&](const std::string& n, std::vector<int64_t> s) {
    m.names.push_back(n);
    m.shapes.push_back(s);
  };
  add("embed", {V, d});
  for (int i = 0; i < L; i++) {
    std::string p = "layers." + std::to_string(i) + ".";
    add(p + "attn_norm", {d});
    add(p + "wq", {d, d});
    add(p + "wk", {d, d});
    add(p + "wv", {d, d});
    add(p + "wo", {d, d});
    add(p + "mlp_norm", {d});
    add(p + "w_gate", {ff, d});
    add(p + "w_up", {ff, d});
    add(p + "w_down", {d, ff});
  }
  add("final_norm", {d});
  return m;
}

static Model config_model(const std::string& name) {
  if (name == "gpt2-124m") return model_shapes(50304, 768, 12, 2048);
  if (name == "1b") return model_shapes(50304, 2048, 16, 5504);
  if (name == "small") return model_shapes(50304, 256, 4, 688);
  if (name == "tiny") return model_shapes(50304, 64, 2, 176);
  fail("unknown --config " + name);
  return Model();
}

// --- comparison ---------------------------------------------------------------------------------

struct Tally {
  int64_t params = 0, indices = 0, codes = 0, ef = 0, sections = 0, update = 0, theta = 0;
  std::string first;
  void note(const std::string& what) {
    if (first.empty()) first = what;
  }
  bool ok() const { return params + indices + codes + ef + sections + update + theta == 0; }
  std::string json() const {
    char b[256];
    std::snprintf(b, sizeof b,
                  "{\"params\":%lld,\"indices\":%lld,\"codes\":%lld,\"ef\":%lld,\"sections\":%lld,\"update\":%lld,\"theta\":%lld}",
                  (long long)params, (long long)indices, (long long)codes, (long long)ef, (long long)sections, (long long)update,
                  (long long)theta);
    return b;
  }
};

static std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
static std::string fmt(const char* f, ...) {
  va_list ap;
  va_start(ap, f);
  va_list ap2;
  va_copy(ap2, ap);
  const int n = std::vsnprintf(nullptr, 0, f, ap);
  va_end(ap);
  std::string out(n > 0 ? n : 0, '\0');
  if (n > 0) std::vsnprintf(&out[0], n + 1, f, ap2);
  va_end(ap2);
  return out;
}

static std::string steps_json(const std::vector<std::pair<std::string, float>>& st) {
  std::string o = "{";
  for (size_t i = 0; i < st.size(); i++) o += fmt("%s\"%s\":%.4f", i ? "," : "", st[i].first.c_str(), st[i].second);
  return o + "}";
}

// One tensor: CPU result (enc, eCpu) against the GPU's (g, eGpu).
static void compare_tensor(const std::string& where, const Plan& plan, size_t t, const codec::Encoded& enc, const float* eCpu,
                           const HostEncoded& g, const float* eGpu, Tally& T) {
  const gpucodec::TensorDesc& d = plan.tensors[t];
  const int64_t n = d.nChunks * d.k;
  bool pOk = bits_of(enc.shift) == bits_of(g.p.shift) && bits_of(enc.sigma) == bits_of(g.p.sigma);
  for (int c = 0; c < 4; c++) pOk &= bits_of(enc.lut[c]) == bits_of(g.p.lut[c]);
  if (!pOk) {
    T.params++;
    T.note(fmt("%s tensor %zu: quantisation params differ: cpu shift %.9g sigma %.9g lut %.9g %.9g %.9g %.9g | gpu shift %.9g sigma %.9g "
               "lut %.9g %.9g %.9g %.9g",
               where.c_str(), t, enc.shift, enc.sigma, enc.lut[0], enc.lut[1], enc.lut[2], enc.lut[3], g.p.shift, g.p.sigma,
               g.p.lut[0], g.p.lut[1], g.p.lut[2], g.p.lut[3]));
  }
  if ((int64_t)g.indices.size() != n || (int64_t)enc.indices.size() != n) {
    T.indices++;
    T.note(fmt("%s tensor %zu: kept count differs (cpu %zu, gpu %zu, plan %lld)", where.c_str(), t, enc.indices.size(), g.indices.size(),
               (long long)n));
    return;
  }
  int64_t badI = 0, badC = 0;
  for (int64_t j = 0; j < n; j++) {
    if (enc.indices[j] != g.indices[j]) {
      if (!badI++)
        T.note(fmt("%s tensor %zu: index differs at kept %lld (chunk %lld, slot %lld): cpu %u gpu %u", where.c_str(), t, (long long)j,
                   (long long)(j / d.k), (long long)(j % d.k), enc.indices[j], g.indices[j]));
    } else if (enc.codes[j] != g.codes[j]) {
      if (!badC++)
        T.note(fmt("%s tensor %zu: code differs at kept %lld (chunk %lld, index %u): cpu %u gpu %u", where.c_str(), t, (long long)j,
                   (long long)(j / d.k), enc.indices[j], enc.codes[j], g.codes[j]));
    }
  }
  T.indices += badI;
  T.codes += badC;
  int64_t badE = 0;
  for (int64_t i = 0; i < d.numel; i++)
    if (bits_of(eCpu[d.elemOff + i]) != bits_of(eGpu[d.elemOff + i])) {
      if (!badE++)
        T.note(fmt("%s tensor %zu: error-feedback buffer differs at element %lld: cpu %.9g (0x%08x) gpu %.9g (0x%08x)", where.c_str(), t,
                   (long long)i, eCpu[d.elemOff + i], bits_of(eCpu[d.elemOff + i]), eGpu[d.elemOff + i], bits_of(eGpu[d.elemOff + i])));
    }
  T.ef += badE;
  // payload sections from the CPU result, packed as src/codec/bits.ts does
  std::vector<uint8_t> wantCodes = gpucodec::host_pack_codes(enc.codes.data(), n);
  std::vector<uint8_t> wantIdx;
  int wantR = 0;
  if (d.coding == gpucodec::kPlain) wantIdx = gpucodec::host_pack_plain(enc.indices.data(), n, d.width);
  else if (d.coding == gpucodec::kRice) {
    wantR = gpucodec::host_best_rice(enc.indices.data(), n, d.k, d.maxR);
    wantIdx = gpucodec::host_pack_rice(enc.indices.data(), n, d.k, wantR);
  }
  if (g.p.rice != wantR || g.p.coding != d.coding) {
    T.sections++;
    T.note(fmt("%s tensor %zu: index coding %d/Rice %d on the GPU, %d/%d expected", where.c_str(), t, g.p.coding, g.p.rice, d.coding, wantR));
  }
  if (wantCodes != g.codeSection) {
    T.sections++;
    size_t at = 0;
    while (at < wantCodes.size() && at < g.codeSection.size() && wantCodes[at] == g.codeSection[at]) at++;
    T.note(fmt("%s tensor %zu: code section differs (bytes %zu vs %zu, first difference at byte %zu)", where.c_str(), t, wantCodes.size(),
               g.codeSection.size(), at));
  }
  if (wantIdx != g.idxSection) {
    T.sections++;
    size_t at = 0;
    while (at < wantIdx.size() && at < g.idxSection.size() && wantIdx[at] == g.idxSection[at]) at++;
    T.note(fmt("%s tensor %zu: index section differs (bytes %zu vs %zu, first difference at byte %zu, Rice %d)", where.c_str(), t,
               wantIdx.size(), g.idxSection.size(), at, wantR));
  }
}

// Per-peer device copies of what the encoder produced (the aggregate's input).
struct PeerBuf {
  uint16_t* idx = nullptr;
  uint32_t* cw = nullptr;
  gpucodec::TensorParams* params = nullptr;
  void alloc(const Plan& p) {
    CUDA_OK(cudaMalloc(&idx, std::max<int64_t>(1, p.kept) * 2));
    CUDA_OK(cudaMalloc(&cw, std::max<int64_t>(1, p.codeWords) * 4));
    CUDA_OK(cudaMalloc(&params, std::max<size_t>(1, p.tensors.size()) * sizeof(gpucodec::TensorParams)));
  }
  void take(const gpucodec::Encoder& e, cudaStream_t s) {
    const Plan& p = e.plan();
    CUDA_OK(cudaMemcpyAsync(idx, e.d_indices(), p.kept * 2, cudaMemcpyDeviceToDevice, s));
    CUDA_OK(cudaMemcpyAsync(cw, e.d_code_words(), p.codeWords * 4, cudaMemcpyDeviceToDevice, s));
    CUDA_OK(cudaMemcpyAsync(params, e.d_params(), p.tensors.size() * sizeof(gpucodec::TensorParams), cudaMemcpyDeviceToDevice, s));
  }
  void release() {
    cudaFree(idx);
    cudaFree(cw);
    cudaFree(params);
  }
  gpucodec::PeerDevice view() const { return {idx, cw, params}; }
};

// CPU: EF + encode every tensor of the flat buffer e (in place), returning the encodings.
static std::vector<codec::Encoded> cpu_encode(const Plan& plan, float* e, const float* delta) {
  std::vector<codec::Encoded> out(plan.tensors.size());
  for (size_t t = 0; t < plan.tensors.size(); t++) {
    const auto& d = plan.tensors[t];
    if (delta) codec::error_feedback(e + d.elemOff, delta + d.elemOff, d.numel, plan.params.beta);
    std::string err;
    if (!codec::encode(e + d.elemOff, plan.shapes[t], plan.params, out[t], &err)) fail("CPU encode tensor " + std::to_string(t) + ": " + err);
  }
  return out;
}

// CPU aggregate + outer step for every tensor; theta updated in place.
static void cpu_aggregate(const Plan& plan, const std::vector<std::vector<codec::Encoded>>& peers, float* update, float* theta, float lr) {
  std::vector<uint16_t> cnt;
  for (size_t t = 0; t < plan.tensors.size(); t++) {
    const auto& d = plan.tensors[t];
    std::vector<codec::PeerView> views(peers.size());
    for (size_t p = 0; p < peers.size(); p++) {
      const codec::Encoded& e = peers[p][t];
      views[p].indices = e.indices.data();
      views[p].codes = e.codes.data();
      views[p].shift = e.shift;
      for (int c = 0; c < 4; c++) views[p].lut[c] = e.lut[c];
    }
    cnt.assign(d.numel, 0);
    codec::aggregate(peers[0][t].L, views, update + d.elemOff, cnt.data());
    for (int64_t i = 0; i < d.numel; i++) {
      float step = lr * update[d.elemOff + i];
      theta[d.elemOff + i] = theta[d.elemOff + i] - step;
    }
  }
}

static void compare_dense(const char* what, const std::string& where, const Plan& plan, const float* a, const float* b, int64_t& count,
                          Tally& T) {
  for (size_t t = 0; t < plan.tensors.size(); t++) {
    const auto& d = plan.tensors[t];
    for (int64_t i = 0; i < d.numel; i++) {
      const float x = a[d.elemOff + i], y = b[d.elemOff + i];
      if (bits_of(x) != bits_of(y)) {
        if (!count++)
          T.note(fmt("%s tensor %zu: %s differs at element %lld: cpu %.9g (0x%08x) gpu %.9g (0x%08x)", where.c_str(), t, what, (long long)i, x,
                     bits_of(x), y, bits_of(y)));
      }
    }
  }
}

// --- parity suite -------------------------------------------------------------------------------

struct Case {
  std::string name;
  std::vector<std::vector<int64_t>> shapes;
  codec::Params params;
  bool plain = false;
  Dist dist = kGauss;
  int peers = 3, rounds = 2;
  int variant = gpucodec::kDefaultSelectVariant;  // Encoder::set_variant
};

static std::string run_case(const Case& c, cudaStream_t s, bool& allOk) {
  double t0 = now();
  Plan plan;
  std::string err;
  Tally T;
  if (!gpucodec::make_plan(c.shapes, c.params, c.plain, plan, &err)) fail(c.name + ": plan: " + err);
  gpucodec::Encoder enc;
  if (!enc.init(plan, &err)) fail(c.name + ": encoder init: " + err);
  enc.set_variant(c.variant);
  const int64_t N = plan.numel;
  float *dE, *dD, *dU, *dTh;
  CUDA_OK(cudaMalloc(&dE, N * 4));
  CUDA_OK(cudaMalloc(&dD, N * 4));
  CUDA_OK(cudaMalloc(&dU, N * 4));
  CUDA_OK(cudaMalloc(&dTh, N * 4));
  std::vector<float> eCpu(N), delta(N), eGpu(N);
  std::vector<std::vector<codec::Encoded>> cpuPeers;
  std::vector<PeerBuf> gpuPeers(c.peers);
  for (int p = 0; p < c.peers; p++) {
    std::fill(eCpu.begin(), eCpu.end(), 0.0f);
    CUDA_OK(cudaMemsetAsync(dE, 0, N * 4, s));
    std::vector<codec::Encoded> last;
    for (int r = 0; r < c.rounds; r++) {
      // each tensor gets its own stream of values; the constant/zero patterns stay what they are
      for (size_t t = 0; t < plan.tensors.size(); t++)
        gen(delta.data() + plan.tensors[t].elemOff, plan.tensors[t].numel, c.dist, 1000003ull * (p + 1) + 7919ull * r + 31ull * t);
      CUDA_OK(cudaMemcpyAsync(dD, delta.data(), N * 4, cudaMemcpyHostToDevice, s));
      if (!enc.encode(dE, dD, s, &err)) fail(c.name + ": encode launch: " + err);
      last = cpu_encode(plan, eCpu.data(), delta.data());
      std::string where = fmt("%s peer %d round %d", c.name.c_str(), p, r);
      if (!enc.check(s, &err)) {
        T.params++;
        T.note(where + ": GPU encoder refused: " + err);
        continue;
      }
      std::vector<HostEncoded> g;
      if (!enc.fetch(g, s, &err)) fail(where + ": " + err);
      CUDA_OK(cudaMemcpyAsync(eGpu.data(), dE, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaStreamSynchronize(s));
      for (size_t t = 0; t < plan.tensors.size(); t++) compare_tensor(where, plan, t, last[t], eCpu.data(), g[t], eGpu.data(), T);
    }
    gpuPeers[p].alloc(plan);
    gpuPeers[p].take(enc, s);
    cpuPeers.push_back(std::move(last));
  }
  // aggregate + outer step
  std::vector<float> theta(N), uCpu(N), uGpu(N), thGpu(N);
  gen(theta.data(), N, kGauss, 4242);
  CUDA_OK(cudaMemcpyAsync(dTh, theta.data(), N * 4, cudaMemcpyHostToDevice, s));
  const float lr = 0.7f;
  gpucodec::Aggregator agg;
  if (!agg.init(plan, c.peers, &err)) fail(c.name + ": aggregator init: " + err);
  std::vector<gpucodec::PeerDevice> views;
  for (auto& pb : gpuPeers) views.push_back(pb.view());
  if (!agg.run(views, dU, dTh, lr, s, &err)) fail(c.name + ": aggregate launch: " + err);
  if (!agg.check(s, &err)) {
    T.update++;
    T.note(c.name + ": GPU aggregate refused: " + err);
  } else {
    cpu_aggregate(plan, cpuPeers, uCpu.data(), theta.data(), lr);
    CUDA_OK(cudaMemcpyAsync(uGpu.data(), dU, N * 4, cudaMemcpyDeviceToHost, s));
    CUDA_OK(cudaMemcpyAsync(thGpu.data(), dTh, N * 4, cudaMemcpyDeviceToHost, s));
    CUDA_OK(cudaStreamSynchronize(s));
    compare_dense("aggregate", c.name, plan, uCpu.data(), uGpu.data(), T.update, T);
    compare_dense("theta after the outer step", c.name, plan, theta.data(), thGpu.data(), T.theta, T);
    // the same outer step without materialising the dense update (θ touched only where sent)
    std::vector<float> theta0(N);
    gen(theta0.data(), N, kGauss, 4242);
    CUDA_OK(cudaMemcpyAsync(dTh, theta0.data(), N * 4, cudaMemcpyHostToDevice, s));
    if (!agg.run(views, nullptr, dTh, lr, s, &err)) fail(c.name + ": aggregate launch: " + err);
    if (!agg.check(s, &err)) {
      T.theta++;
      T.note(c.name + ": GPU aggregate (no dense update) refused: " + err);
    } else {
      CUDA_OK(cudaMemcpyAsync(thGpu.data(), dTh, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaStreamSynchronize(s));
      compare_dense("theta after the outer step without a dense update", c.name, plan, theta.data(), thGpu.data(), T.theta, T);
    }
  }
  for (auto& pb : gpuPeers) pb.release();
  cudaFree(dE);
  cudaFree(dD);
  cudaFree(dU);
  cudaFree(dTh);
  const bool ok = T.ok();
  allOk &= ok;
  std::fprintf(stderr, "codec-cuda parity %-22s %s  (%zu tensors, %lld values, %.2f s)%s%s\n", c.name.c_str(), ok ? "ok  " : "FAIL",
               plan.tensors.size(), (long long)N, now() - t0, ok ? "" : "\n    first: ", ok ? "" : T.first.c_str());
  return fmt("{\"name\":%s,\"ok\":%s,\"dist\":\"%s\",\"tensors\":%zu,\"numel\":%lld,\"peers\":%d,\"rounds\":%d,\"mismatches\":%s,\"first\":%s}",
             jstr(c.name).c_str(), ok ? "true" : "false", dist_name(c.dist), plan.tensors.size(), (long long)N, c.peers, c.rounds,
             T.json().c_str(), jstr(T.first).c_str());
}

static std::vector<Case> parity_cases() {
  std::vector<Case> cs;
  codec::Params def;  // 64 of 64², β 0.95
  const std::vector<std::vector<int64_t>> awkward = {{1000}, {77}, {5}, {1}, {4099}, {130, 97}, {688, 256}, {176, 64}, {64, 176},
                                                     {1, 4096}, {3, 3}, {200, 300}, {64, 4096}, {97, 64}, {65, 65}, {256, 100}};
  const std::vector<std::vector<int64_t>> gpt2ish = {{768, 768}, {2048, 768}, {768, 2048}, {768}, {1024, 768}};
  cs.push_back({"awkward-gauss", awkward, def, false, kGauss, 3, 2});
  cs.push_back({"awkward-heavy", awkward, def, false, kHeavy, 3, 2});
  cs.push_back({"gpt2-shapes-gauss", gpt2ish, def, false, kGauss, 4, 3});
  cs.push_back({"gpt2-shapes-heavy", gpt2ish, def, false, kHeavy, 2, 2});
  cs.push_back({"ties", {{256, 256}, {1000}, {96, 128}, {4096}, {130, 97}}, def, false, kTies, 3, 2});
  cs.push_back({"signed-zeros", {{256, 256}, {500}, {64, 64}}, def, false, kSignedZeros, 2, 2});
  cs.push_back({"zeros", {{128, 128}, {300}, {7, 11}}, def, false, kZeros, 2, 1});
  cs.push_back({"constant", {{128, 128}, {300}, {7, 11}}, def, false, kConst, 2, 1});
  cs.push_back({"plain-indices", {{768, 768}, {1000}, {130, 97}, {688, 256}}, def, true, kGauss, 3, 2});
  codec::Params small;
  small.topk = 16;
  small.chunk = 32;
  cs.push_back({"topk16-chunk32", {{256, 384}, {1000}, {99, 70}, {31, 33}}, small, false, kHeavy, 3, 2});
  codec::Params big;
  big.topk = 200;
  big.chunk = 128;
  big.beta = 0.9f;
  cs.push_back({"topk200-chunk128", {{256, 384}, {1000}, {384, 130}}, big, false, kGauss, 3, 2});
  codec::Params dense;
  dense.topk = 4096;
  cs.push_back({"dense-k", {{128, 128}, {100}}, dense, false, kGauss, 2, 2});
  // the summation tree over chunk sums: 32 chunks (one group), 33, 1,100 (three levels), 2,048
  // (a 2-D tensor, three levels), 66,048 (four levels: 66048 → 2064 → 65 → 3 → 1)
  cs.push_back({"tree-levels", {{64 * 32}, {64 * 33}, {64 * 1100}, {2048, 4096}, {64 * 66048}}, def, false, kHeavy, 2, 2});
  // crafted so that chunk order would give other bits than the tree (one round: the values must
  // be exactly these); test/helpers/codec-tree.ts has the same vectors
  cs.push_back({"tree-cancel", {{64 * 34}, {64 * 1100}, {64 * 66048}}, def, false, kTreeCancel, 2, 1});
  cs.push_back({"tree-mid", {{64 * 48}, {64 * 1100}}, def, false, kTreeMid, 2, 1});
  return cs;
}

// --- bench --------------------------------------------------------------------------------------

__global__ void k_gen(float* d, int64_t n, uint64_t seed) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    uint64_t z = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const float u = ((float)(uint32_t)(z >> 41) + 0.5f) * (1.0f / 8388608.0f);  // (0, 1), exact: 23 bits + ½
    const float v = u < 0.5f ? logf(2.0f * u) : -logf(2.0f * (1.0f - u));  // Laplace
    const float rowScale = 1e-3f * (1.0f + 0.5f * (float)((i >> 10) % 7));
    d[i] = v * rowScale;
  }
}

static double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

static int64_t payload_bytes(const Model& m, const Plan& plan, const std::vector<HostEncoded>& g) {
  int64_t h = 92;
  for (size_t t = 0; t < plan.tensors.size(); t++) h += 1 + (int64_t)m.names[t].size() + 1 + 4 * (int64_t)m.shapes[t].size() + 4 + 4 + 2 + 24 + 8;
  int64_t s = 0;
  for (const auto& x : g) s += (int64_t)x.p.idxBytes + (int64_t)x.p.codeBytes;
  return h + s + 64;
}

static std::string run_bench(const std::string& config, int P, int reps, bool fullParity, const std::vector<int>& extraVariants,
                             cudaStream_t s, bool& allOk) {
  Model m = config_model(config);
  Plan plan;
  std::string err;
  codec::Params def;
  if (!gpucodec::make_plan(m.shapes, def, false, plan, &err)) fail("bench plan: " + err);
  const int64_t N = plan.numel;
  std::fprintf(stderr, "codec-cuda bench %s: %zu tensors, %lld values, %d peers\n", config.c_str(), plan.tensors.size(), (long long)N, P);
  gpucodec::Encoder enc;
  if (!enc.init(plan, &err)) fail("bench encoder init: " + err);
  float *dE, *dD, *dU, *dTh, *dCopy;
  CUDA_OK(cudaMalloc(&dE, N * 4));
  CUDA_OK(cudaMalloc(&dD, N * 4));
  CUDA_OK(cudaMalloc(&dU, N * 4));
  CUDA_OK(cudaMalloc(&dTh, N * 4));
  CUDA_OK(cudaMalloc(&dCopy, N * 4));
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  auto timed = [&](auto&& fn) {
    CUDA_OK(cudaEventRecord(a, s));
    fn();
    CUDA_OK(cudaEventRecord(b, s));
    CUDA_OK(cudaEventSynchronize(b));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, a, b));
    return (double)ms;
  };

  // floor: device memcpy of the same bytes (reads N·4, writes N·4)
  std::vector<double> copyMs;
  for (int r = 0; r < reps + 2; r++) {
    double ms = timed([&] { CUDA_OK(cudaMemcpyAsync(dCopy, dE, N * 4, cudaMemcpyDeviceToDevice, s)); });
    if (r >= 2) copyMs.push_back(ms);
  }

  // peers: each encodes its own Δ from e = 0; peer 0 is checked against the CPU
  Tally T;
  std::vector<PeerBuf> peers(P);
  std::vector<std::vector<codec::Encoded>> cpuPeers;
  std::vector<float> hD, hE, hEg;
  double cpuEncS = 0;
  int64_t bytes = 0;
  for (int p = 0; p < P; p++) {
    CUDA_OK(cudaMemsetAsync(dE, 0, N * 4, s));
    k_gen<<<4096, 256, 0, s>>>(dD, N, 1000 + p);
    CUDA_OK(cudaGetLastError());
    if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
    if (!enc.check(s, &err)) {
      T.params++;
      T.note(fmt("bench peer %d: GPU encoder refused: %s", p, err.c_str()));
      std::fprintf(stderr, "codec-cuda bench: %s\n", T.first.c_str());
      break;
    }
    peers[p].alloc(plan);
    peers[p].take(enc, s);
    if (fullParity) {
      hD.resize(N);
      hE.assign(N, 0.0f);
      CUDA_OK(cudaMemcpyAsync(hD.data(), dD, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaStreamSynchronize(s));
      double t0 = now();
      cpuPeers.push_back(cpu_encode(plan, hE.data(), hD.data()));
      cpuEncS += now() - t0;
      if (p == 0) {
        std::vector<HostEncoded> g;
        if (!enc.fetch(g, s, &err)) fail("bench fetch: " + err);
        hEg.resize(N);
        CUDA_OK(cudaMemcpyAsync(hEg.data(), dE, N * 4, cudaMemcpyDeviceToHost, s));
        CUDA_OK(cudaStreamSynchronize(s));
        for (size_t t = 0; t < plan.tensors.size(); t++)
          compare_tensor("bench peer 0", plan, t, cpuPeers[0][t], hE.data(), g[t], hEg.data(), T);
        bytes = payload_bytes(m, plan, g);
      }
    } else if (p == 0) {
      std::vector<HostEncoded> g;
      if (!enc.fetch(g, s, &err)) fail("bench fetch: " + err);
      bytes = payload_bytes(m, plan, g);
    }
  }
  // encode timings: peer 0's Δ again on a running e (EF keeps accumulating, as in a real run)
  k_gen<<<4096, 256, 0, s>>>(dD, N, 1000);
  CUDA_OK(cudaMemsetAsync(dE, 0, N * 4, s));
  std::vector<double> encMs;
  for (int r = 0; r < reps + 2; r++) {
    double ms = timed([&] {
      if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
    });
    if (r >= 2) encMs.push_back(ms);
  }
  if (!enc.check(s, &err)) {
    T.params++;
    T.note("bench timing encode refused: " + err);
  }
  enc.set_profile(true);
  if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
  const std::string encSteps = steps_json(enc.steps(s));
  enc.set_profile(false);
  // other select variants: the same bits as the default from the same state, then their timings
  const int defVariant = gpucodec::kDefaultSelectVariant;
  std::string variantsJson;
  for (int v : extraVariants) {
    CUDA_OK(cudaMemcpyAsync(dCopy, dE, N * 4, cudaMemcpyDeviceToDevice, s));
    std::vector<HostEncoded> g0, g1;
    std::vector<float> e0(N), e1(N);
    enc.set_variant(defVariant);
    if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
    const bool ok0 = enc.check(s, &err) && enc.fetch(g0, s, &err);
    CUDA_OK(cudaMemcpyAsync(e0.data(), dE, N * 4, cudaMemcpyDeviceToHost, s));
    CUDA_OK(cudaMemcpyAsync(dE, dCopy, N * 4, cudaMemcpyDeviceToDevice, s));
    enc.set_variant(v);
    if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
    std::string err1;
    const bool ok1 = enc.check(s, &err1) && enc.fetch(g1, s, &err1);
    CUDA_OK(cudaMemcpyAsync(e1.data(), dE, N * 4, cudaMemcpyDeviceToHost, s));
    CUDA_OK(cudaStreamSynchronize(s));
    bool same = ok0 && ok1 && std::memcmp(e0.data(), e1.data(), N * 4) == 0 && g0.size() == g1.size();
    for (size_t t = 0; same && t < g0.size(); t++)
      same = std::memcmp(&g0[t].p, &g1[t].p, sizeof(gpucodec::TensorParams)) == 0 && g0[t].indices == g1[t].indices &&
             g0[t].codes == g1[t].codes && g0[t].idxSection == g1[t].idxSection && g0[t].codeSection == g1[t].codeSection;
    if (!same) {
      T.params++;
      T.note(fmt("bench: select variant %d differs from the default variant %d on the same input%s%s", v, defVariant, ok1 ? "" : ": ",
                 ok1 ? "" : err1.c_str()));
    }
    std::vector<double> ms;
    for (int r = 0; r < reps + 2; r++) {
      double x = timed([&] {
        if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
      });
      if (r >= 2) ms.push_back(x);
    }
    enc.set_profile(true);
    if (!enc.encode(dE, dD, s, &err)) fail("bench encode launch: " + err);
    const std::string st = steps_json(enc.steps(s));
    enc.set_profile(false);
    enc.set_variant(defVariant);
    std::fprintf(stderr, "codec-cuda bench: select variant %d: encode %.3f ms, same bits as the default variant %d: %s\n", v, median(ms),
                 defVariant, same ? "yes" : "NO");
    if (!variantsJson.empty()) variantsJson += ",";
    variantsJson += fmt("{\"variant\":%d,\"encode_ms\":%.4f,\"same_bits\":%s,\"encode_steps_ms\":%s}", v, median(ms),
                        same ? "true" : "false", st.c_str());
  }
  std::string aggSteps = "{}";
  // aggregate timings (update only, then with the outer step)
  gpucodec::Aggregator agg;
  if (!agg.init(plan, P, &err)) fail("bench aggregator init: " + err);
  std::vector<gpucodec::PeerDevice> views;
  for (auto& pb : peers)
    if (pb.idx) views.push_back(pb.view());
  std::vector<double> aggMs, aggThMs;
  if ((int)views.size() == P) {
    k_gen<<<4096, 256, 0, s>>>(dTh, N, 77);
    for (int r = 0; r < reps + 2; r++) {
      double ms = timed([&] {
        if (!agg.run(views, dU, nullptr, 1.0f, s, &err)) fail("bench aggregate launch: " + err);
      });
      if (r >= 2) aggMs.push_back(ms);
    }
    std::vector<float> th0;
    if (fullParity) {
      th0.resize(N);
      CUDA_OK(cudaMemcpyAsync(th0.data(), dTh, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaStreamSynchronize(s));
    }
    double ms0 = timed([&] {
      if (!agg.run(views, dU, dTh, 1.0f, s, &err)) fail("bench aggregate launch: " + err);
    });
    if (!agg.check(s, &err)) {
      T.update++;
      T.note("bench aggregate refused: " + err);
    } else if (fullParity && (int)cpuPeers.size() == P) {
      std::vector<float> uCpu(N), uGpu(N), thGpu(N);
      CUDA_OK(cudaMemcpyAsync(uGpu.data(), dU, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaMemcpyAsync(thGpu.data(), dTh, N * 4, cudaMemcpyDeviceToHost, s));
      CUDA_OK(cudaStreamSynchronize(s));
      cpu_aggregate(plan, cpuPeers, uCpu.data(), th0.data(), 1.0f);
      compare_dense("aggregate", "bench", plan, uCpu.data(), uGpu.data(), T.update, T);
      compare_dense("theta after the outer step", "bench", plan, th0.data(), thGpu.data(), T.theta, T);
    }
    (void)ms0;
    for (int r = 0; r < reps + 2; r++) {
      double ms = timed([&] {
        if (!agg.run(views, nullptr, dTh, 1.0f, s, &err)) fail("bench aggregate launch: " + err);
      });
      if (r >= 2) aggThMs.push_back(ms);
    }
    agg.set_profile(true);
    if (!agg.run(views, dU, nullptr, 1.0f, s, &err)) fail("bench aggregate launch: " + err);
    aggSteps = steps_json(agg.steps(s));
  }
  for (auto& pb : peers) pb.release();
  cudaFree(dE);
  cudaFree(dD);
  cudaFree(dU);
  cudaFree(dTh);
  cudaFree(dCopy);
  const bool ok = T.ok();
  allOk &= ok;
  const double copy = median(copyMs);
  const double gbps = copy > 0 ? 2.0 * N * 4 / (copy * 1e-3) / 1e9 : 0;
  std::fprintf(stderr, "codec-cuda bench: encode %.3f ms, aggregate %.3f ms (+outer step %.3f ms), memcpy %.3f ms (%.0f GB/s), parity %s%s%s\n",
               median(encMs), median(aggMs), median(aggThMs), copy, gbps, fullParity ? (ok ? "ok" : "FAIL") : "skipped",
               ok ? "" : ": ", ok ? "" : T.first.c_str());
  return fmt("{\"config\":\"%s\",\"tensors\":%zu,\"numel\":%lld,\"kept\":%lld,\"peers\":%d,\"reps\":%d,"
             "\"select_variant\":%d,\"encode_ms\":%.4f,\"encode_ms_min\":%.4f,\"aggregate_ms\":%.4f,\"aggregate_ms_min\":%.4f,\"aggregate_outer_ms\":%.4f,"
             "\"memcpy_ms\":%.4f,\"memcpy_gbps\":%.1f,\"floor_3pass_ms\":%.4f,\"payload_bytes\":%lld,\"ratio\":%.2f,"
             "\"full_parity\":%s,\"parity_ok\":%s,\"cpu_encode_s_per_peer\":%.4f,\"encode_steps_ms\":%s,\"aggregate_steps_ms\":%s,"
             "\"variants\":[%s],"
             "\"mismatches\":%s,\"first\":%s}",
             config.c_str(), plan.tensors.size(), (long long)N, (long long)plan.kept, P, reps, gpucodec::kDefaultSelectVariant, median(encMs),
             encMs.empty() ? 0.0 : *std::min_element(encMs.begin(), encMs.end()), median(aggMs),
             aggMs.empty() ? 0.0 : *std::min_element(aggMs.begin(), aggMs.end()), median(aggThMs), copy, gbps, 1.5 * copy,
             (long long)bytes, bytes ? 4.0 * N / bytes : 0.0, fullParity ? "true" : "false", ok ? "true" : "false",
             cpuPeers.empty() ? 0.0 : cpuEncS / cpuPeers.size(), encSteps.c_str(), aggSteps.c_str(), variantsJson.c_str(),
             T.json().c_str(), jstr(T.first).c_str());
}

int main(int argc, char** argv) {
  bool doParity = false, doBench = false, fullParity = true;
  std::string config = "gpt2-124m";
  int P = 8, reps = 20;
  const int defVariant = gpucodec::kDefaultSelectVariant;
  std::vector<int> variants = {defVariant};  // the default first, then those --variants adds
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fail("missing value after " + a);
      return argv[++i];
    };
    if (a == "parity") doParity = true;
    else if (a == "bench") doBench = true;
    else if (a == "--config") config = next();
    else if (a == "--peers") P = std::atoi(next().c_str());
    else if (a == "--reps") reps = std::atoi(next().c_str());
    else if (a == "--no-full-parity") fullParity = false;
    else if (a == "--variants") {
      variants.assign(1, defVariant);
      std::string list = next();
      size_t p0 = 0;
      while (p0 <= list.size()) {
        size_t p1 = list.find(',', p0);
        if (p1 == std::string::npos) p1 = list.size();
        const int v = std::atoi(list.substr(p0, p1 - p0).c_str());
        if (v < 0 || v > 2) fail("--variants takes 0, 1, 2");
        if (std::find(variants.begin(), variants.end(), v) == variants.end()) variants.push_back(v);
        p0 = p1 + 1;
      }
    }
    else fail("usage: codec-cuda [parity] [bench] [--config NAME] [--peers N] [--reps N] [--no-full-parity] [--variants 0,1,2]");
  }
  if (!doParity && !doBench) doParity = doBench = true;
  if (P < 1 || P > gpucodec::kMaxPeers) fail("--peers must be 1…" + std::to_string(gpucodec::kMaxPeers));
  if (reps < 1) reps = 1;
  int dev = 0;
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDevice(&dev));
  CUDA_OK(cudaGetDeviceProperties(&prop, dev));
  cudaStream_t s;
  CUDA_OK(cudaStreamCreate(&s));
  bool allOk = true;
  std::string out = fmt("{\"tool\":\"codec-cuda\",\"device_name\":%s", jstr(prop.name).c_str());
  if (doParity) {
    std::string cases;
    bool pOk = true;
    for (int variant : variants)
      for (Case c : parity_cases()) {
        if (variant != defVariant) {
          c.variant = variant;
          c.name += "/v" + std::to_string(variant);
        }
        if (!cases.empty()) cases += ",";
        cases += run_case(c, s, pOk);
      }
    allOk &= pOk;
    out += fmt(",\"parity\":{\"ok\":%s,\"cases\":[", pOk ? "true" : "false") + cases + "]}";
  }
  std::vector<int> extra;
  for (int v : variants)
    if (v != defVariant) extra.push_back(v);
  if (doBench) out += ",\"bench\":" + run_bench(config, P, reps, fullParity, extra, s, allOk);
  out += fmt(",\"ok\":%s}", allOk ? "true" : "false");
  std::printf("%s\n", out.c_str());
  return allOk ? 0 : 1;
}
