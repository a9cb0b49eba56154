// build/cuda-targets-test: which GPUs a CUDA build runs on (src/cuda/cuda_targets.h), on the CPU:
// the default build ("80 90a") on GPUs from Turing to Blackwell, single-target builds, and where the
// wgmma kernels may run. Prints one JSON line; exits 1 on the first failed check, naming it.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cuda/cuda_targets.h"

static int g_checks = 0;
static void check(bool ok, const std::string& what) {
  g_checks++;
  if (!ok) {
    printf("{\"tool\":\"cuda-targets-test\",\"ok\":false,\"failed\":\"%s\"}\n", what.c_str());
    exit(1);
  }
}
static bool runs(const CudaTargets& t, int cc) { return t.why_not(cc, "GPU").empty(); }

int main() {
  const CudaTargets dflt("80 90a");
  // A100 (8.0), A10 / RTX 30xx (8.6), RTX 40xx / L40 (8.9): sm_80 code; H100 / H200 (9.0): sm_90a;
  // B200 (10.0), RTX 50xx (12.0): the compute_80 PTX, compiled by the driver
  for (int cc : {80, 86, 89, 90, 100, 120}) check(runs(dflt, cc), "default build runs on " + std::to_string(cc));
  // V100 (7.0), T4 / RTX 20xx (7.5): no bf16 tensor cores
  for (int cc : {70, 75}) {
    const std::string why = dflt.why_not(cc, "Tesla T4");
    check(why.find("compute capability 8.0 or newer") != std::string::npos, "older GPU refused " + std::to_string(cc));
    check(why.find("Tesla T4 (compute capability " + std::to_string(cc / 10) + "." + std::to_string(cc % 10) + ")") != std::string::npos,
          "older GPU named " + std::to_string(cc));
  }
  check(dflt.wgmma(90) && !dflt.wgmma(80) && !dflt.wgmma(89) && !dflt.wgmma(100), "default build: wgmma on 9.0 only");

  // gpu-check.sh's build: sm_90a machine code only, no PTX
  const CudaTargets h("90a");
  check(runs(h, 90) && h.wgmma(90), "90a build on an H100");
  const std::string why = h.why_not(80, "NVIDIA A100-SXM4-80GB");
  check(why == "this build has code for sm_90a only, not for NVIDIA A100-SXM4-80GB (compute capability 8.0): rebuild with "
               "`make -C kernels cuda CUDA_ARCH=80`",
        "90a build on an A100: " + why);
  check(!runs(h, 100) && !runs(h, 89), "90a build: no PTX for later or other GPUs");

  // sm_86 code (and PTX) only: an A100 (8.0) is older than it, an RTX 4090 (8.9) runs it, H100 by PTX
  const CudaTargets a("86");
  check(!runs(a, 80) && runs(a, 86) && runs(a, 89) && runs(a, 90), "86 build");
  check(!a.wgmma(90), "86 build: no wgmma on an H100 (its PTX has none)");
  // two machine-code targets, the PTX of the first: 8.9 by sm_80 code, 9.0 by PTX
  const CudaTargets b("80 86");
  check(runs(b, 89) && runs(b, 90) && b.why_not(75, "x") != "", "80 86 build");
  check(CudaTargets("").why_not(90, "x").find("code for no GPU") != std::string::npos, "empty list");

  printf("{\"tool\":\"cuda-targets-test\",\"ok\":true,\"checks\":%d}\n", g_checks);
  return 0;
}
