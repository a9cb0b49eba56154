// The cuBLASLt algorithm chosen for each matmul shape by timing (gemm.cu, LOCO_CUDA_GEMM_TUNE), kept
// in a small text file between processes. Without it each process times the candidates again and
// may pick another one (timings are noisy, and a split-K algorithm adds in another order), so a
// restarted miner would not repeat its earlier steps bit for bit; with it every process on the
// machine uses the first process's choice. The file names the GPU and the cuBLASLt version, so a
// driver or library change starts a new one.
//
// A choice is stored as the candidate's index in cuBLASLt's heuristic list together with the
// candidate's 64 opaque bytes: it is used only when the heuristic, asked again, returns the same
// bytes at that index, and the algorithm handed to cuBLASLt is always the one the heuristic just
// returned, never bytes read from a file.
//
// Host-only C++ (no CUDA), so test/gemm_tune_cache_test.cpp checks it on machines without a GPU.
#pragma once
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace gemm_tune {

struct Choice {
  int index = -1;                  // position in the heuristic's candidate list
  std::array<uint64_t, 8> algo{};  // that candidate's cublasLtMatmulAlgo_t bytes
  bool operator==(const Choice& o) const { return index == o.index && algo == o.algo; }
};
using Cache = std::map<std::string, Choice>;  // key: the matmul's shape, layouts and alignments

constexpr const char* kHeader = "loco-gemm-tune 1";

// Where the cache lives: $LOCO_CUDA_GEMM_TUNE_CACHE (a file; empty: nowhere), else
// $XDG_CACHE_HOME/loco or ~/.cache/loco, one file per GPU name and cuBLASLt version.
// "" when there is no such place: then choices last for the process only.
inline std::string cache_path(const std::string& device_name, size_t lt_version) {
  if (const char* p = getenv("LOCO_CUDA_GEMM_TUNE_CACHE")) return p;
  std::string dir;
  if (const char* x = getenv("XDG_CACHE_HOME"); x && *x) dir = std::string(x) + "/loco";
  else if (const char* h = getenv("HOME"); h && *h) dir = std::string(h) + "/.cache/loco";
  else return "";
  std::string dev;
  for (char c : device_name) dev += (isalnum((unsigned char)c) || c == '-' || c == '.') ? c : '_';
  return dir + "/gemm-tune-" + (dev.empty() ? "gpu" : dev) + "-lt" + std::to_string(lt_version) + ".txt";
}

// Reads path into out. A missing file is an empty cache (true). A file that is not a cache of this
// format, or has a malformed line, is refused as a whole (false, why says what and where): the
// caller then tunes again and overwrites it.
inline bool load(const std::string& path, Cache& out, std::string* why) {
  out.clear();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return true;
  std::ifstream f(path);
  if (!f) {
    if (why) *why = path + ": cannot be read";
    return false;
  }
  std::string line;
  if (!std::getline(f, line) || line != kHeader) {
    if (why) *why = path + ": not a loco gemm-tune cache (the first line is not \"" + kHeader + "\")";
    return false;
  }
  int lineno = 1;
  Cache c;
  while (std::getline(f, line)) {
    lineno++;
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string key, word;
    Choice ch;
    bool ok = static_cast<bool>(ls >> key >> ch.index) && ch.index >= 0;
    for (auto& w : ch.algo) {
      if (!ok || !(ls >> word) || word.size() != 16 || word.find_first_not_of("0123456789abcdef") != std::string::npos) {
        ok = false;
        break;
      }
      w = strtoull(word.c_str(), nullptr, 16);
    }
    if (ok && (ls >> word)) ok = false;  // nothing may follow the eight words
    if (!ok) {
      if (why) *why = path + ":" + std::to_string(lineno) + ": malformed entry";
      return false;
    }
    c[key] = ch;
  }
  out.swap(c);
  return true;
}

// Writes the whole cache atomically (a temporary file in the same folder, flushed to disk, renamed
// over path), creating the folder; a crash or a full disk leaves the old file or the new one.
inline bool save(const std::string& path, const Cache& c, std::string* why) {
  std::error_code ec;
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) {
    if (why) *why = tmp + ": cannot be created (" + strerror(errno) + ")";
    return false;
  }
  bool ok = fprintf(f, "%s\n", kHeader) > 0;
  for (const auto& [key, ch] : c) {
    ok = ok && fprintf(f, "%s %d", key.c_str(), ch.index) > 0;
    for (uint64_t w : ch.algo) ok = ok && fprintf(f, " %016" PRIx64, w) > 0;
    ok = ok && fputc('\n', f) != EOF;
  }
  ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
  const int err = errno;
  ok = (fclose(f) == 0) && ok;
  if (ok && rename(tmp.c_str(), path.c_str()) == 0) return true;
  if (why) *why = path + ": cannot be written (" + strerror(ok ? errno : err) + ")";
  remove(tmp.c_str());
  return false;
}

}  // namespace gemm_tune
