// llm.c token shards: 256 × int32 header (magic 20240520, version 1, [2] = token count), then
// uint16 tokens. Sample ids: docs/trainer-protocol.md ("Sample ids").
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct Shard {
  std::string path;
  const uint16_t* tokens = nullptr;
  uint64_t ntokens = 0;
  void* map = nullptr;
  size_t maplen = 0;
};

class ShardSet {
 public:
  ShardSet() = default;
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;
  ~ShardSet();
  // Opens and validates every shard (mmap). T = tokens per sample input.
  bool open(const std::vector<std::string>& paths, int T, std::string& err);
  uint64_t total_samples() const { return cum_.empty() ? 0 : cum_.back(); }
  // Writes x[0..T) and y[0..T) for global sample id; checks token ids < vocab_size.
  bool sample(uint64_t id, int* x, int* y, int vocab_size, std::string& err) const;

 private:
  std::vector<Shard> shards_;
  std::vector<uint64_t> cum_;  // cum_[s] = samples in shards 0..s
  int T_ = 0;
};
