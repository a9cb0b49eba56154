// build/wgmma-probe: checks on a Hopper GPU the layout facts that the wgmma (warpgroup MMA) attention
// backward rests on (attention_wg_kernels.cuh, LOCO_CUDA_ATTN_BWD=wgmma; docs/cuda.md, "wgmma
// backward"), which no CPU can check. One warpgroup runs
// wgmma.mma_async m64n64k16 (bf16 × bf16 → fp32) on operands whose product encodes each output's
// position: C[m][n] = m + 64·n + 3, exact in fp32, using k = 0, 1, 7 of the first 8-column core
// matrix and k = 8, 9, 15 of the second. Each case lays the operands out in shared memory (no
// swizzle) under one reading of the matrix descriptor and reports how many of the 128 × 32
// accumulator registers differ from the hypothesised fragment layout, and where a few of them
// really landed (decoded from their values). The facts:
//   - the accumulator layout: warp w, lane l = 4g + t, register r holds C[16w + g + 8·((r/2)%2)]
//     [8·(r/4) + 2t + r%2] (mma.m16n8's C layout repeated over the 8-column blocks);
//   - K-major operands (no swizzle): 8-row × 16-byte core matrices, rows 16 bytes apart; is the
//     descriptor's leading byte offset (LBO) the stride between core matrices along K, and the
//     stride byte offset (SBO) the one along M/N ("lbo_is_k"), or the other way round ("lbo_is_mn")?
//   - A from registers: warp w's four registers hold A[16w + g (+8)][2t, 2t+1 (+8)] as for
//     mma.m16n8k16;
//   - an MN-major B (imm-trans-b = 1; rows of 8 consecutive n, 16 bytes, one k each): which of LBO
//     and SBO is along K.
// Prints one JSON line, with kernel_layout_ok: whether the readings the attn3 kernels and the
// emulator's wgmma are written for hold here.
// Exit 0 when every fact is settled one way, 1 otherwise, 2 without a Hopper GPU. --self-test checks the host-side analysis on synthetic register dumps (no GPU).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "cuda/attention_wg_kernels.cuh"  // the readings attn3_bwd_dkv_kernel is written for (WG_*_LBO_IS_K)
#include "cuda_tool_check.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int M = 64, N = 64, K = 16, NT = 128, REGS = 32, IMG = 8192;  // (the swizzled K-major images fill 8 KB)
// each operand's shared-memory buffer: the image, then zeros far enough that the reading a case
// tests wrongly still addresses inside it (MN-major B with the strides swapped reaches 7·1024 +
// 128 + 126 bytes). With IMG-sized buffers that case read past the block's shared memory and the
// whole probe died of an illegal memory access (h200-7) instead of reporting mismatches.
constexpr int SMEM = IMG;

// the operands (values exact in bf16): Σ_k a(m,k)·b(n,k) = m + 64·n + 3
float a_val(int m, int k) {
  switch (k) {
    case 0: return (float)(m % 8);
    case 8: return (float)(m / 8);
    case 1: case 9: case 15: return 1.f;
    case 7: return 2.f;
    default: return 0.f;
  }
}
float b_val(int n, int k) {
  switch (k) {
    case 0: case 7: case 15: return 1.f;
    case 8: return 8.f;
    case 1: return (float)(64 * (n % 8));
    case 9: return (float)(512 * (n / 8));
    default: return 0.f;
  }
}
// the hypothesised accumulator position of thread tid's register r
void d_pos(int tid, int r, int& m, int& n) {
  const int w = tid / 32, l = tid % 32, g = l / 4, t = l % 4;
  m = 16 * w + g + 8 * ((r / 2) % 2);
  n = 8 * (r / 4) + 2 * t + r % 2;
}
uint16_t bf16_bits(float v) {
  const __nv_bfloat16 h = __float2bfloat16_rn(v);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}
// shared-memory images (no swizzle). K-major X[64 rows][16 k]: element (row, k) at
// (row/8)·rstride + (k/8)·kstride + (row%8)·16 + (k%8)·2. MN-major B: element (n, k) at
// (k/8)·kstride + (n/8)·nstride + (k%8)·16 + (n%8)·2.
constexpr uint32_t KM_KSTRIDE = 128, KM_RSTRIDE = 256, MN_NSTRIDE = 128, MN_KSTRIDE = 1024;
// the 128-byte swizzle (LOCO_CUDA_ATTN_FWD=wgmma-sw; attention_wg_kernels.cuh): K-major, row r of
// the 64 at (r/8)·1024 + (r%8)·128 + 2k; MN-major B, k row at (k/8)·1024 + (k%8)·128 + 2n (N = 64: one
// atom column); then address bits 4-6 XOR bits 7-9
constexpr uint32_t swz(uint32_t a) { return a ^ (((a >> 7) & 7u) << 4); }
// a shared-memory image: each element's bf16 at place(row or n, k)
template <typename Place>
std::vector<uint8_t> image(int rows, float (*val)(int, int), Place place) {
  std::vector<uint8_t> img(IMG, 0);
  for (int r = 0; r < rows; r++)
    for (int k = 0; k < K; k++) {
      const uint16_t b = bf16_bits(val(r, k));
      std::memcpy(&img[place(r, k)], &b, 2);
    }
  return img;
}
std::vector<uint8_t> kmajor_image(float (*val)(int, int), bool sw) {
  if (sw) return image(64, val, [](int row, int k) { return swz((row / 8) * 1024 + (row % 8) * 128 + k * 2); });
  return image(64, val, [](int row, int k) {
    return (row / 8) * KM_RSTRIDE + (k / 8) * KM_KSTRIDE + (row % 8) * 16 + (k % 8) * 2;
  });
}
std::vector<uint8_t> mnmajor_image_b(bool sw) {
  if (sw) return image(N, b_val, [](int n, int k) { return swz((k / 8) * 1024 + (k % 8) * 128 + n * 2); });
  return image(N, b_val, [](int n, int k) {
    return (k / 8) * MN_KSTRIDE + (n / 8) * MN_NSTRIDE + (k % 8) * 16 + (n % 8) * 2;
  });
}

struct Case {
  const char* name;
  bool a_regs;       // A from registers (else a K-major shared-memory descriptor)
  bool b_mn;         // B MN-major (imm-trans-b = 1)
  uint32_t a_lbo, a_sbo, b_lbo, b_sbo;
  bool sw = false;   // the 128-byte swizzle (descriptor layout type 1) for the shared-memory operands
};
// each reading of LBO/SBO gives the same physical layout different descriptor fields
const Case CASES[] = {
    {"ss_kmajor_lbo_is_k", false, false, KM_KSTRIDE, KM_RSTRIDE, KM_KSTRIDE, KM_RSTRIDE},
    {"ss_kmajor_lbo_is_mn", false, false, KM_RSTRIDE, KM_KSTRIDE, KM_RSTRIDE, KM_KSTRIDE},
    {"rs_kmajor_lbo_is_k", true, false, 0, 0, KM_KSTRIDE, KM_RSTRIDE},
    {"rs_kmajor_lbo_is_mn", true, false, 0, 0, KM_RSTRIDE, KM_KSTRIDE},
    {"rs_bmn_lbo_is_k", true, true, 0, 0, MN_KSTRIDE, MN_NSTRIDE},
    {"rs_bmn_lbo_is_mn", true, true, 0, 0, MN_NSTRIDE, MN_KSTRIDE},
    // the swizzled readings the wgmma-sw forward is written for: K-major LBO unused (16), SBO 1024;
    // MN-major SBO 1024 (8 k rows), LBO the next 64 columns (none here)
    {"ss_kmajor_sw128", false, false, 16, 1024, 16, 1024, true},
    {"rs_bmn_sw128", true, true, 0, 0, 4096, 1024, true},
};
constexpr int NCASES = sizeof CASES / sizeof CASES[0];

struct Result {
  int mismatches = 0;
  std::string sample;  // where a few registers landed: [tid, r, m, n] (m, n = -1: not a product value)
};
Result analyse(const std::vector<float>& out) {
  Result res;
  for (int tid = 0; tid < NT; tid++)
    for (int r = 0; r < REGS; r++) {
      int m, n;
      d_pos(tid, r, m, n);
      if (out[(size_t)tid * REGS + r] != (float)(m + 64 * n + 3)) res.mismatches++;
    }
  const int show[][2] = {{0, 0}, {0, 1}, {0, 2}, {0, 4}, {1, 0}, {4, 0}, {32, 0}, {127, 31}};
  for (const auto& s : show) {
    const float v = out[(size_t)s[0] * REGS + s[1]] - 3.f;
    int m = -1, n = -1;
    if (v >= 0 && v < 4096 && v == std::floor(v)) m = (int)v % 64, n = (int)v / 64;
    char buf[64];
    snprintf(buf, sizeof buf, "%s[%d,%d,%d,%d]", res.sample.empty() ? "" : ",", s[0], s[1], m, n);
    res.sample += buf;
  }
  return res;
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  uint32_t u;
  std::memcpy(&u, &h, 4);
  return u;
}

template <bool A_REGS, int TRANS_B>
__global__ void __launch_bounds__(NT) probe_kernel(float* out, const uint8_t* a_img, const uint8_t* b_img,
                                                   const float* a_rows, uint32_t a_lbo, uint32_t a_sbo, uint32_t b_lbo,
                                                   uint32_t b_sbo, bool sw) {
  __shared__ __align__(1024) uint8_t sa[SMEM];
  __shared__ __align__(1024) uint8_t sb[SMEM];
  for (int i = threadIdx.x; i < SMEM; i += NT) {
    sa[i] = i < IMG ? a_img[i] : 0;
    sb[i] = i < IMG ? b_img[i] : 0;
  }
  // generic-proxy stores, then reads by the async proxy (wgmma)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  // the fields as written (attn_tc2::wg_desc_encode), whatever reading the kernels assume
  const uint64_t da = attn_tc2::wg_desc_encode(sa, a_lbo, a_sbo, sw), db = attn_tc2::wg_desc_encode(sb, b_lbo, b_sbo, sw);
  float d[REGS];
#pragma unroll
  for (int r = 0; r < REGS; r++) d[r] = 0.f;
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
  if constexpr (A_REGS) {
    // the hypothesised A fragment: mma.m16n8k16's, for this warp's 16 rows
    const int w = threadIdx.x / 32, l = threadIdx.x % 32, g = l / 4, t = l % 4;
    const int r0 = 16 * w + g, r1 = r0 + 8;
    uint32_t a[4];
    a[0] = pack_bf16(a_rows[r0 * K + 2 * t], a_rows[r0 * K + 2 * t + 1]);
    a[1] = pack_bf16(a_rows[r1 * K + 2 * t], a_rows[r1 * K + 2 * t + 1]);
    a[2] = pack_bf16(a_rows[r0 * K + 2 * t + 8], a_rows[r0 * K + 2 * t + 9]);
    a[3] = pack_bf16(a_rows[r1 * K + 2 * t + 8], a_rows[r1 * K + 2 * t + 9]);
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(0), "n"(TRANS_B));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, %35;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(da), "l"(db), "r"(0), "n"(TRANS_B));
  }
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
#pragma unroll
  for (int r = 0; r < REGS; r++) out[threadIdx.x * REGS + r] = d[r];
}

#define CHECK(x) TOOL_CUDA_CHECK("wgmma-probe", x)

std::vector<float> run_case(const Case& c) {
  const std::vector<uint8_t> ai = kmajor_image(a_val, c.sw), bi = c.b_mn ? mnmajor_image_b(c.sw) : kmajor_image(b_val, c.sw);
  std::vector<float> rows(M * K);
  for (int m = 0; m < M; m++)
    for (int k = 0; k < K; k++) rows[m * K + k] = a_val(m, k);
  uint8_t *da, *db;
  float *dr, *dout;
  CHECK(cudaMalloc(&da, IMG));
  CHECK(cudaMalloc(&db, IMG));
  CHECK(cudaMalloc(&dr, rows.size() * 4));
  CHECK(cudaMalloc(&dout, NT * REGS * 4));
  CHECK(cudaMemcpy(da, ai.data(), IMG, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(db, bi.data(), IMG, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dr, rows.data(), rows.size() * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemset(dout, 0xff, NT * REGS * 4));
  if (!c.a_regs) probe_kernel<false, 0><<<1, NT>>>(dout, da, db, dr, c.a_lbo, c.a_sbo, c.b_lbo, c.b_sbo, c.sw);
  else if (!c.b_mn) probe_kernel<true, 0><<<1, NT>>>(dout, da, db, dr, c.a_lbo, c.a_sbo, c.b_lbo, c.b_sbo, c.sw);
  else probe_kernel<true, 1><<<1, NT>>>(dout, da, db, dr, c.a_lbo, c.a_sbo, c.b_lbo, c.b_sbo, c.sw);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  std::vector<float> out(NT * REGS);
  CHECK(cudaMemcpy(out.data(), dout, out.size() * 4, cudaMemcpyDeviceToHost));
  cudaFree(da);
  cudaFree(db);
  cudaFree(dr);
  cudaFree(dout);
  return out;
}

// which reading of a pair of cases held: "k", "mn", "both", or null
const char* settled(int mism_k, int mism_mn) {
  if (mism_k == 0 && mism_mn == 0) return "\"both\"";
  if (mism_k == 0) return "\"k\"";
  if (mism_mn == 0) return "\"mn\"";
  return "null";
}

// the analysis on synthetic dumps: the hypothesised layout must give 0 mismatches, a dump with two
// registers swapped must not, and the sample must decode positions
int self_test() {
  std::vector<float> out(NT * REGS);
  for (int tid = 0; tid < NT; tid++)
    for (int r = 0; r < REGS; r++) {
      int m, n;
      d_pos(tid, r, m, n);
      out[(size_t)tid * REGS + r] = (float)(m + 64 * n + 3);
    }
  const Result good = analyse(out);
  std::swap(out[5], out[6]);
  const Result bad = analyse(out);
  // the operands really multiply to the encoding
  int enc_bad = 0;
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      float s = 0.f;
      for (int k = 0; k < K; k++) s += a_val(m, k) * b_val(n, k);
      enc_bad += s != (float)(m + 64 * n + 3);
      for (int k = 0; k < K; k++)  // every operand value exact in bf16
        enc_bad += a_val(m, k) != __bfloat162float(__float2bfloat16_rn(a_val(m, k))) ||
                   b_val(n, k) != __bfloat162float(__float2bfloat16_rn(b_val(n, k)));
    }
  const bool ok = good.mismatches == 0 && bad.mismatches == 2 && enc_bad == 0 &&
                  good.sample.rfind("[0,0,0,0],[0,1,0,1],[0,2,8,0],[0,4,0,8]", 0) == 0;
  printf("{\"tool\":\"wgmma-probe\",\"self_test\":true,\"good_mismatches\":%d,\"swapped_mismatches\":%d,"
         "\"encoding_errors\":%d,\"sample\":[%s],\"ok\":%s}\n",
         good.mismatches, bad.mismatches, enc_bad, good.sample.c_str(), ok ? "true" : "false");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--self-test") return self_test();
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    printf("{\"tool\":\"wgmma-probe\",\"ok\":false,\"error\":\"no CUDA device\"}\n");
    return 2;
  }
  cudaDeviceProp p;
  CHECK(cudaGetDeviceProperties(&p, 0));
  if (p.major != 9) {
    printf("{\"tool\":\"wgmma-probe\",\"ok\":false,\"error\":\"wgmma needs compute capability 9.x, not %d.%d\"}\n",
           p.major, p.minor);
    return 2;
  }
  std::string cases;
  int mism[NCASES];
  for (int i = 0; i < NCASES; i++) {
    const Result r = analyse(run_case(CASES[i]));
    mism[i] = r.mismatches;
    char head[128];
    snprintf(head, sizeof head, "%s{\"name\":\"%s\",\"mismatches\":%d,\"sample\":[", cases.empty() ? "" : ",",
             CASES[i].name, r.mismatches);
    cases += head + r.sample + "]}";
  }
  // the accumulator layout holds if any case matched everywhere; the A-register layout if an rs case did
  const bool d_layout = mism[0] == 0 || mism[1] == 0 || mism[2] == 0 || mism[3] == 0 || mism[4] == 0 || mism[5] == 0;
  const bool a_regs = mism[2] == 0 || mism[3] == 0 || mism[4] == 0 || mism[5] == 0;
  const char *kmajor = settled(mism[0], mism[1]), *kmajor_rs = settled(mism[2], mism[3]), *bmn = settled(mism[4], mism[5]);
  const bool ok = d_layout && a_regs && std::string(kmajor) != "null" && std::string(bmn) != "null";
  // does the wgmma dK/dV kernel (and the emulator's wgmma) assume what this GPU does?
  const char* want_k = attn_tc2::WG_KMAJOR_LBO_IS_K ? "\"k\"" : "\"mn\"";
  const char* want_mn = attn_tc2::WG_MNMAJOR_LBO_IS_K ? "\"k\"" : "\"mn\"";
  auto holds = [](const char* got, const char* want) { return std::string(got) == want || std::string(got) == "\"both\""; };
  const bool kernel_ok = ok && holds(kmajor, want_k) && holds(kmajor_rs, want_k) && holds(bmn, want_mn);
  // the swizzled readings (the opt-in wgmma-sw forward; not part of ok: the default kernels do not use them)
  const bool sw_kmajor = mism[6] == 0, sw_mnmajor = mism[7] == 0;
  printf("{\"tool\":\"wgmma-probe\",\"device\":\"%s\",\"cases\":[%s],\"d_layout_ok\":%s,\"a_regs_layout_ok\":%s,"
         "\"kmajor_lbo\":%s,\"kmajor_lbo_b_only\":%s,\"mnmajor_b_lbo\":%s,\"kernel_assumes\":{\"kmajor_lbo\":%s,"
         "\"mnmajor_b_lbo\":%s},\"kernel_layout_ok\":%s,\"sw128_kmajor_ok\":%s,\"sw128_mnmajor_ok\":%s,\"ok\":%s}\n",
         p.name, cases.c_str(), d_layout ? "true" : "false", a_regs ? "true" : "false", kmajor, kmajor_rs, bmn, want_k,
         want_mn, kernel_ok ? "true" : "false", sw_kmajor ? "true" : "false", sw_mnmajor ? "true" : "false",
         ok ? "true" : "false");
  return ok ? 0 : 1;
}
