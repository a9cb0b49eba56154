// Checkpoint file (docs/checkpoint.md): "LOCOCKPT", u32 version 1, u32 header_len, JSON header,
// zero pad to a 64-byte boundary, then fp32 LE tensors (params, then adam_m.*, adam_v.*).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "json.h"

struct CheckpointData {
  Config cfg;
  long step = 0;
  Json window;  // number or null
  uint64_t seed = 0;
  bool has_optimizer = false;
  long optimizer_step = 0;
  std::vector<float> params, m, v;
};

// m and v may be null (no optimizer state). Atomic: temp file in the same folder, fsync, rename.
bool checkpoint_save(const std::string& path, const Config& cfg, long step, const Json& window, uint64_t seed,
                     const float* params, const float* m, const float* v, long optimizer_step, std::string& err);
bool checkpoint_load(const std::string& path, CheckpointData& out, std::string& err);

// Atomically writes bytes to path (temp + fsync + rename + fsync of the folder).
bool write_file_atomic(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts,
                       std::string& err);
// JSON value for a 64-bit seed: a number when exactly representable, else a decimal string.
Json seed_to_json(uint64_t seed);
bool seed_from_json(const Json& j, uint64_t& out);
