// Which GPUs a CUDA build runs on, from the Makefile's CUDA_ARCH list (host-only C++, checked by
// test/cuda_targets_test.cpp without a GPU). Each entry ("80", "90a") is machine code for that GPU;
// the first entry without the "a" suffix also comes as PTX, which the driver compiles for any newer
// GPU. Machine code for X.y runs on X.z with z ≥ y; "90a" code runs on compute capability 9.0 only.
#pragma once
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

struct CudaTargets {
  std::vector<std::string> archs;

  explicit CudaTargets(const std::string& list) {
    std::istringstream in(list);
    for (std::string a; in >> a;) archs.push_back(a);
  }
  static int number(const std::string& a) { return std::atoi(a.c_str()); }
  static bool arch_specific(const std::string& a) { return !a.empty() && a.back() == 'a'; }

  // Empty when this build runs on a GPU of compute capability cc (major·10 + minor), else why not.
  std::string why_not(int cc, const std::string& gpu) const {
    const std::string has = gpu + " (compute capability " + std::to_string(cc / 10) + "." + std::to_string(cc % 10) + ")";
    if (cc < 80)
      return "the CUDA kernels need compute capability 8.0 or newer (bf16 tensor cores, cp.async); " + has + " is older";
    bool ptx_done = false;
    for (const std::string& a : archs) {
      const int n = number(a);
      if (arch_specific(a)) {
        if (cc == n) return "";
        continue;
      }
      if (cc / 10 == n / 10 && cc >= n) return "";  // machine code for an earlier GPU of the same family
      if (!ptx_done && cc >= n) return "";          // the PTX, compiled by the driver
      ptx_done = true;
    }
    std::string list;
    for (const std::string& a : archs) list += (list.empty() ? "sm_" : ", sm_") + a;
    return "this build has code for " + (list.empty() ? std::string("no GPU") : list) + " only, not for " + has +
           ": rebuild with `make -C kernels cuda CUDA_ARCH=" + std::to_string(cc) + "`";
  }

  // The wgmma kernels (sm_90a only) run here: this build has sm_90a code and the GPU is 9.0.
  bool wgmma(int cc) const {
    if (cc != 90) return false;
    for (const std::string& a : archs)
      if (a == "90a") return true;
    return false;
  }
};
