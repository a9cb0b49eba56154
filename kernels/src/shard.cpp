#include "shard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

static const int32_t SHARD_MAGIC = 20240520;
static const size_t HEADER_BYTES = 256 * 4;

ShardSet::~ShardSet() {
  for (auto& s : shards_)
    if (s.map) munmap(s.map, s.maplen);
}

bool ShardSet::open(const std::vector<std::string>& paths, int T, std::string& err) {
  T_ = T;
  uint64_t total = 0;
  for (const auto& p : paths) {
    Shard s;
    s.path = p;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err = "cannot open shard " + p + ": " + strerror(errno); return false; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { ::close(fd); err = "shard " + p + " is not a regular file"; return false; }
    const size_t size = (size_t)st.st_size;
    if (size < HEADER_BYTES) { ::close(fd); err = "shard " + p + " is too short for the 1024-byte header (" + std::to_string(size) + " bytes)"; return false; }
    void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) { err = "cannot map shard " + p + ": " + strerror(errno); return false; }
    s.map = m;
    s.maplen = size;
    shards_.push_back(s);  // owned from here on (unmapped by the destructor)
    int32_t hdr[3];
    std::memcpy(hdr, m, sizeof hdr);
    if (hdr[0] != SHARD_MAGIC) { err = "shard " + p + " has bad magic " + std::to_string(hdr[0]) + " (expected 20240520)"; return false; }
    if (hdr[1] != 1) { err = "shard " + p + " has unsupported version " + std::to_string(hdr[1]) + " (expected 1)"; return false; }
    if (hdr[2] < 0) { err = "shard " + p + " has a negative token count"; return false; }
    const uint64_t n = (uint64_t)hdr[2];
    if (size != HEADER_BYTES + 2 * n) {
      err = "shard " + p + " length " + std::to_string(size) + " does not match its header (" + std::to_string(n) +
            " tokens → " + std::to_string(HEADER_BYTES + 2 * n) + " bytes)";
      return false;
    }
    shards_.back().tokens = (const uint16_t*)((const char*)m + HEADER_BYTES);
    shards_.back().ntokens = n;
    total += n >= 1 ? (n - 1) / (uint64_t)T : 0;
    cum_.push_back(total);
  }
  return true;
}

bool ShardSet::sample(uint64_t id, int* x, int* y, int vocab_size, std::string& err) const {
  if (id >= total_samples()) {
    err = "sample id " + std::to_string(id) + " is out of range (the shards hold " + std::to_string(total_samples()) +
          " samples of " + std::to_string(T_) + " tokens)";
    return false;
  }
  size_t s = std::upper_bound(cum_.begin(), cum_.end(), id) - cum_.begin();
  const uint64_t j = id - (s == 0 ? 0 : cum_[s - 1]);
  const uint16_t* t = shards_[s].tokens + j * (uint64_t)T_;
  for (int i = 0; i <= T_; i++) {
    uint16_t tok;
    std::memcpy(&tok, t + i, 2);  // little-endian host
    if (tok >= vocab_size) {
      err = "shard " + shards_[s].path + " holds token id " + std::to_string(tok) + " ≥ vocab_size " +
            std::to_string(vocab_size);
      return false;
    }
    if (i < T_) x[i] = tok;
    if (i > 0) y[i - 1] = tok;
  }
  return true;
}
