// SparseLoCo on the GPU (docs/sparseloco.md is the contract, docs/cuda.md "SparseLoCo on the GPU"
// says how it is built). Same algorithm and the same bits as kernels/src/codec.cpp and
// src/codec/sparseloco.ts: every fp32/fp64 operation is an explicitly rounded intrinsic
// (__fadd_rn, __dmul_rn, …, never contracted into a multiply-add), and every floating-point
// reduction runs in the contract's order (per chunk by ascending kept index, then the chunk sums by
// the fixed 32-ary tree, one thread per group of a level). The output is the wire layout of docs/payload-format.md: per tensor
// the index section (Rice-coded gaps, plain or dense) and the 2-bit code section, byte for byte
// what src/codec/payload.ts writes.
//
// All tensors of a model are processed together: one launch per step covers every chunk of every
// tensor (a chunk → tensor table), so the launch count does not grow with the tensor count.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../codec.h"

namespace loco {
namespace gpucodec {

constexpr int kMaxRice = 16;       // payload-format.md: Rice parameter ≤ min(16, w)
constexpr int kMaxLen = 16384;     // largest chunk (c1·c2) the GPU kernels take (shared memory)
constexpr int kMaxPeers = 256;     // aggregate: peers per call
constexpr int64_t kMaxTensorChunks = 1 << 20;  // chunks of one tensor: 32^4, the levels the summation tree evaluates
constexpr int kDefaultSelectVariant = 1;       // Encoder's select kernel unless set_variant says otherwise

enum Coding : int { kPlain = 0, kRice = 1, kDense = 2 };

// One tensor's place in the flat buffers (device copy in TensorPlan arrays).
struct TensorDesc {
  int64_t rows, cols, perRow, nChunks, numel;
  int c1, c2, len, k;
  int width;         // ⌈log2 len⌉
  int coding;        // Coding
  int maxR;          // min(16, width)
  int64_t elemOff;   // into the flat parameter buffer
  int64_t chunkOff;  // first global chunk
  int64_t keptOff;   // into kept-value arrays (nChunks·k each)
  int64_t codeWordOff;  // u32 word offset of the code section in the code buffer
  int64_t idxWordOff;   // u32 word offset of the index section in the index buffer
  int64_t idxCapWords;  // words reserved for the index section
};

// Per-tensor result of an encode (device, copied back by fetch()).
struct TensorParams {
  float shift, sigma;
  float lut[4];
  float deq[4];  // fp32(lut[c] + shift)
  int rice;      // Rice parameter (coding 1), else 0
  int coding;
  uint64_t idxBytes, codeBytes;
};

// What a host gets back for one tensor.
struct HostEncoded {
  TensorParams p;
  std::vector<uint16_t> indices;   // nChunks·k, ascending per chunk
  std::vector<uint8_t> codes;      // nChunks·k unpacked (0…3)
  std::vector<uint8_t> idxSection;   // payload index section bytes
  std::vector<uint8_t> codeSection;  // payload code section bytes
};

// Layout of a whole model (the canonical tensor order) for encode and aggregate.
struct Plan {
  codec::Params params;
  bool plainIndices = false;  // payload option indexCoding: 'plain'
  std::vector<std::vector<int64_t>> shapes;
  std::vector<TensorDesc> tensors;
  int64_t numel = 0, chunks = 0, kept = 0, codeWords = 0, idxWords = 0;
  int maxLen = 0;
};

// Fills plan (host side only). False + err for a shape or chunk the GPU kernels do not take.
bool make_plan(const std::vector<std::vector<int64_t>>& shapes, const codec::Params& p, bool plainIndices, Plan& plan,
               std::string* err);

// Device state for encoding one model's tensors (scratch sized once from the plan).
class Encoder {
 public:
  ~Encoder();
  bool init(const Plan& plan, std::string* err);
  // e (device, plan.numel fp32) is the error-feedback buffer. With delta (device) non-null, first
  // e ← fl(fl(β·e) + Δ). Then encode in place: e ← e − dequantised(sent). Asynchronous on stream;
  // false + err on a launch error.
  bool encode(float* e, const float* delta, cudaStream_t stream, std::string* err);
  // After encode: false + err if the encoder refused (non-finite value, internal check).
  bool check(cudaStream_t stream, std::string* err);
  bool fetch(std::vector<HostEncoded>& out, cudaStream_t stream, std::string* err);

  // Device outputs (valid after encode, until the next encode).
  const uint16_t* d_indices() const { return d_idx_; }      // plan.kept
  const uint8_t* d_codes() const { return d_codes_; }       // plan.kept, unpacked
  const uint32_t* d_code_words() const { return d_codeWords_; }  // plan.codeWords, packed sections
  const uint32_t* d_idx_words() const { return d_idxWords_; }    // plan.idxWords, packed sections
  const TensorParams* d_params() const { return d_params_; }     // one per tensor

  const Plan& plan() const { return plan_; }

  // With profiling on, encode() records an event after each step; steps() returns
  // {step name, ms} of the last encode (synchronises the stream).
  void set_profile(bool on) { profile_ = on; }
  std::vector<std::pair<std::string, float>> steps(cudaStream_t stream);
  // Select kernel variant: 0, 1 (default: measured faster than 0 on an H100, same bits) or 2
  // (leaner histograms; same output, see codec.cu).
  void set_variant(int v) { variant_ = v; }
  int variant() const { return variant_; }

 private:
  Plan plan_;
  bool profile_ = false;
  int variant_ = kDefaultSelectVariant;
  cudaEvent_t ev_[10] = {};
  int nev_ = 0;
  TensorDesc* d_tensors_ = nullptr;
  int* d_chunkTensor_ = nullptr;
  float* d_vals_ = nullptr;
  uint16_t* d_idx_ = nullptr;
  uint8_t* d_codes_ = nullptr;
  double* d_part_ = nullptr;      // chunks
  double* d_lsum_ = nullptr;      // chunks·4
  unsigned long long* d_tcnt_ = nullptr;  // tensors·4 level counts
  cudaStream_t side_ = nullptr;   // Rice offsets run here, beside the quantiser chain
  cudaEvent_t fork_ = nullptr, join_ = nullptr;
  uint32_t* d_riceSums_ = nullptr;  // chunks·17
  uint64_t* d_chunkBitOff_ = nullptr;  // chunks
  uint32_t* d_codeWords_ = nullptr;
  uint32_t* d_idxWords_ = nullptr;
  TensorParams* d_params_ = nullptr;
  int* d_status_ = nullptr;  // [0] flag, [1] tensor, [2] chunk (low 31 bits)
  size_t selectSmem_ = 0;
};

// One peer's tensors, as device pointers laid out like the Encoder's outputs: indices[plan.kept]
// (u16, ascending per chunk), codeWords[plan.codeWords] (the packed code sections at each
// tensor's codeWordOff, unused bits zero) and params[tensor count] (shift and lut are read).
struct PeerDevice {
  const uint16_t* indices;
  const uint32_t* codeWords;
  const TensorParams* params;
};

// Receiving side: median-norm clipping + scatter-mean over the peers (in the given order), then
// optionally the outer step θ ← fl(θ − fl(lr·update)).
class Aggregator {
 public:
  ~Aggregator();
  bool init(const Plan& plan, int maxPeers, std::string* err);
  // update (device, plan.numel, may be null) receives the dense update; theta (device, may be null)
  // gets the outer step with lr — in place, touching only coordinates some peer sent when lr ≥ 0
  // (elsewhere the update is +0 and θ − fl(lr·0) = θ). Asynchronous on stream; false + err on a launch error or bad arguments.
  bool run(const std::vector<PeerDevice>& peers, float* update, float* theta, float lr, cudaStream_t stream,
           std::string* err);
  bool check(cudaStream_t stream, std::string* err);
  void set_profile(bool on) { profile_ = on; }
  std::vector<std::pair<std::string, float>> steps(cudaStream_t stream);

 private:
  Plan plan_;
  bool profile_ = false;
  cudaEvent_t ev_[4] = {};
  int nev_ = 0;
  int maxPeers_ = 0;
  TensorDesc* d_tensors_ = nullptr;
  int* d_chunkTensor_ = nullptr;
  PeerDevice* d_peers_ = nullptr;
  double* d_norms_ = nullptr;   // tensors·peers
  float* d_w_ = nullptr;        // tensors·peers·4
  int* d_status_ = nullptr;
  size_t scatterSmem_ = 0;
  bool prefetch_ = true;
};

// θ ← fl(θ − fl(lr·u)) over n values.
void apply_update(float* theta, const float* update, int64_t n, float lr, cudaStream_t stream);

// Host packers: the same bytes as src/codec/bits.ts (packIndicesRice, packIndicesPlain,
// packCodes, bestRice), for the parity check.
std::vector<uint8_t> host_pack_codes(const uint8_t* codes, int64_t n);
std::vector<uint8_t> host_pack_plain(const uint16_t* idx, int64_t n, int width);
int host_best_rice(const uint16_t* idx, int64_t n, int k, int maxR);
std::vector<uint8_t> host_pack_rice(const uint16_t* idx, int64_t n, int k, int r);
int index_width(int len);

}  // namespace gpucodec
}  // namespace loco
