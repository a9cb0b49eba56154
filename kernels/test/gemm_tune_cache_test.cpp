// build/gemm-tune-cache-test DIR: the matmul tuning cache (src/cuda/gemm_tune_cache.h) on the CPU —
// where the file goes, a round trip, refusal of foreign or damaged files, and the atomic write —
// in the scratch folder DIR. Prints one JSON line; exits 1 on the first failed check, naming it.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "cuda/gemm_tune_cache.h"

static int g_checks = 0;
static void check(bool ok, const std::string& what) {
  g_checks++;
  if (!ok) {
    printf("{\"tool\":\"gemm-tune-cache-test\",\"ok\":false,\"failed\":\"%s\"}\n", what.c_str());
    exit(1);
  }
}
static void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
static std::string read(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gemm-tune-cache-test SCRATCH_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string why;

  // where: the override, then XDG_CACHE_HOME, then HOME; one file per GPU name and library version
  unsetenv("LOCO_CUDA_GEMM_TUNE_CACHE");
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  check(gemm_tune::cache_path("NVIDIA H200", 130100) == "/x/cache/loco/gemm-tune-NVIDIA_H200-lt130100.txt", "path XDG");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/u", 1);
  check(gemm_tune::cache_path("NVIDIA H100 80GB HBM3", 7) == "/home/u/.cache/loco/gemm-tune-NVIDIA_H100_80GB_HBM3-lt7.txt",
        "path HOME");
  check(gemm_tune::cache_path("a/../b", 7).find("/../") == std::string::npos, "device name cannot leave the folder");
  setenv("LOCO_CUDA_GEMM_TUNE_CACHE", "/some/file", 1);
  check(gemm_tune::cache_path("x", 1) == "/some/file", "path override");
  setenv("LOCO_CUDA_GEMM_TUNE_CACHE", "", 1);
  check(gemm_tune::cache_path("x", 1).empty(), "empty override: not persisted");
  unsetenv("LOCO_CUDA_GEMM_TUNE_CACHE");

  // a missing file is an empty cache
  const std::string path = dir + "/sub/folder/gemm-tune.txt";
  gemm_tune::Cache c;
  c["stale"] = gemm_tune::Choice{};
  check(gemm_tune::load(path, c, &why) && c.empty(), "missing file loads as empty");

  // round trip, creating the folders
  gemm_tune::Cache w;
  gemm_tune::Choice a;
  a.index = 3;
  for (int i = 0; i < 8; i++) a.algo[i] = 0x0123456789abcdefull * (uint64_t)(i + 1);
  gemm_tune::Choice b;
  b.index = 0;
  b.algo[7] = ~0ull;
  w["tA0.tB1.M16384.N2304.K768.lda768.ldb768.ldc2304.ab1.c1.al256.256.256.256.b1"] = a;
  w["tA1.tB0.M768.N2304.K16384.lda768.ldb2304.ldc2304.ab1.c0.al256.256.256.256.b0"] = b;
  check(gemm_tune::save(path, w, &why), "save: " + why);
  gemm_tune::Cache r;
  check(gemm_tune::load(path, r, &why), "load after save: " + why);
  check(r == w, "round trip keeps every entry bit for bit");
  struct stat st;
  check(stat((path + ".tmp." + std::to_string(getpid())).c_str(), &st) != 0, "no temporary file left");

  // rewriting replaces the whole file
  w.erase(w.begin());
  check(gemm_tune::save(path, w, &why) && gemm_tune::load(path, r, &why) && r == w, "rewrite");

  // refused as a whole: another format, a damaged line (the caller then tunes again and overwrites)
  const std::string good = read(path);
  write(path, "something else\n");
  check(!gemm_tune::load(path, r, &why) && why.find("not a loco gemm-tune cache") != std::string::npos, "foreign file");
  write(path, good + "key 1 00 11\n");
  check(!gemm_tune::load(path, r, &why) && why.find(":3: malformed") != std::string::npos, "short line: " + why);
  write(path, good + "key -1 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 "
                     "0000000000000000 0000000000000000 0000000000000000\n");
  check(!gemm_tune::load(path, r, &why), "negative index");
  write(path, good + "key 1 000000000000000g 0000000000000000 0000000000000000 0000000000000000 0000000000000000 "
                     "0000000000000000 0000000000000000 0000000000000000\n");
  check(!gemm_tune::load(path, r, &why), "not hex");
  write(path, good + "key 1 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 "
                     "0000000000000000 0000000000000000 0000000000000000 extra\n");
  check(!gemm_tune::load(path, r, &why), "trailing word");
  write(path, good + "\n");
  check(gemm_tune::load(path, r, &why) && r == w, "blank lines are fine");

  // a folder that cannot be written: save says why and leaves nothing behind
  check(!gemm_tune::save("/proc/loco-no-such-dir/x.txt", w, &why) && !why.empty(), "unwritable place");

  printf("{\"tool\":\"gemm-tune-cache-test\",\"ok\":true,\"checks\":%d}\n", g_checks);
  return 0;
}
