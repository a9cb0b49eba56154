// SparseLoCo codec, native CPU version of src/codec/sparseloco.ts (docs/sparseloco.md is the
// contract). Indices, codes, quantisation parameters and the error-feedback buffer agree bit for bit
// with the TypeScript reference: every fp32 step rounds to fp32, reductions run in double in a fixed
// order (per chunk by ascending local index, then the chunk sums by a fixed 32-ary tree, tree_sum).
// Build this file with -ffp-contract=off so no multiply-add is fused.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace loco {
namespace codec {

struct Params {
  int topk = 64;
  int chunk = 64;
  float beta = 0.95f;
};

constexpr int kMaxChunk = 256;

struct Layout {
  int64_t rows = 0, cols = 0;
  int c1 = 0, c2 = 0, len = 0;
  int64_t nChunks = 0, perRow = 0;
  int k = 0;
  int64_t numel = 0;
};

int chunk_side(int64_t n, int target);
int k_for(size_t rank, int c1, int c2, const Params& p);
// Returns false (and sets err) for ranks other than 1 and 2 or non-positive dimensions.
bool layout_for(const std::vector<int64_t>& shape, const Params& p, Layout& L, std::string* err);

struct Encoded {
  Layout L;
  std::vector<uint16_t> indices;  // nChunks·k, ascending within each chunk
  std::vector<uint8_t> codes;     // nChunks·k, 0…3
  float shift = 0, sigma = 0;
  float lut[4] = {0, 0, 0, 0};
};

// The contract's combination of per-chunk sums (docs/sparseloco.md, "Summation order"): parts[i·stride]
// for i < n, cut into consecutive groups of kSumFanout (the last may be shorter), each summed left to
// right starting from its first element; the ⌈n/32⌉ results are the next level; repeated until one
// value remains (n = 0 gives +0). Overwrites the parts. Same as src/codec/sparseloco.ts treeSum.
constexpr int kSumFanout = 32;
double tree_sum(double* parts, int64_t n, int64_t stride = 1);

// e ← fl(fl(β·e) + Δ)
void error_feedback(float* e, const float* delta, int64_t n, float beta);

// Encode in place: e holds β·e + Δ on entry and e − dequantised(sent) on return.
// Returns false (err set) on a non-finite value or a bad shape.
bool encode(float* e, const std::vector<int64_t>& shape, const Params& p, Encoded& out, std::string* err);

struct PeerView {
  const uint16_t* indices;
  const uint8_t* codes;
  float shift;
  float lut[4];
};

// Median-norm clipping + scatter-mean over peers (all with layout L) into out[numel].
// cnt is scratch of numel entries.
void aggregate(const Layout& L, const std::vector<PeerView>& peers, float* out, uint16_t* cnt);

}  // namespace codec
}  // namespace loco
