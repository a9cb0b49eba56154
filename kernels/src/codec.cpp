// SparseLoCo codec (see codec.h and docs/sparseloco.md). Parallel over chunks with OpenMP; every
// reduction keeps per-chunk partial sums and combines them afterwards by the contract's fixed
// 32-ary tree (tree_sum), so the result does not depend on the thread count and equals the
// TypeScript reference (src/codec/sparseloco.ts treeSum) and the GPU codec.
#include "codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace loco {
namespace codec {

int chunk_side(int64_t n, int target) {
  if (n <= target) return (int)n;
  for (int c = target; c > 1; c--)
    if (n % c == 0) return c;
  return 1;
}

int k_for(size_t rank, int c1, int c2, const Params& p) {
  const int len = c1 * c2;
  if (rank == 1) return std::min(p.topk, len);
  const int64_t full = (int64_t)p.chunk * p.chunk;
  int64_t k = ((int64_t)p.topk * len + full - 1) / full;
  return (int)std::min<int64_t>(len, std::max<int64_t>(1, k));
}

bool layout_for(const std::vector<int64_t>& shape, const Params& p, Layout& L, std::string* err) {
  if (shape.size() != 1 && shape.size() != 2) {
    if (err) *err = "SparseLoCo handles 1-D and 2-D tensors only";
    return false;
  }
  for (int64_t d : shape)
    if (d < 1) {
      if (err) *err = "bad tensor dimension";
      return false;
    }
  L.rows = shape.size() == 1 ? 1 : shape[0];
  L.cols = shape.size() == 1 ? shape[0] : shape[1];
  L.c1 = shape.size() == 1 ? 1 : chunk_side(L.rows, p.chunk);
  L.c2 = chunk_side(L.cols, p.chunk);
  L.len = L.c1 * L.c2;
  L.perRow = L.cols / L.c2;
  L.nChunks = (L.rows / L.c1) * L.perRow;
  L.k = k_for(shape.size(), L.c1, L.c2, p);
  L.numel = L.rows * L.cols;
  return true;
}

void error_feedback(float* e, const float* delta, int64_t n, float beta) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float t = beta * e[i];
    e[i] = t + delta[i];
  }
}

double tree_sum(double* parts, int64_t n, int64_t stride) {
  if (n == 0) return 0.0;
  while (n > 1) {
    int64_t m = 0;
    for (int64_t g = 0; g < n; g += kSumFanout) {
      const int64_t end = std::min(n, g + kSumFanout);
      double s = parts[g * stride];
      for (int64_t i = g + 1; i < end; i++) s += parts[i * stride];
      parts[m++ * stride] = s;  // m ≤ g: the group is read before it is written over
    }
    n = m;
  }
  return parts[0];
}

constexpr int kHist = 1024;  // buckets of the top 10 bits of a key (< 2^31)

static inline uint32_t key_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u & 0x7fffffffu;
}

static inline int64_t chunk_base(const Layout& L, int64_t ch) {
  int64_t bi = ch / L.perRow;
  return bi * L.c1 * L.cols + (ch - bi * L.perRow) * L.c2;
}

static inline int64_t pos_of(const Layout& L, int64_t base, int li) {
  int r = li / L.c2;
  return base + (int64_t)r * L.cols + (li - r * L.c2);
}

bool encode(float* e, const std::vector<int64_t>& shape, const Params& p, Encoded& out, std::string* err) {
  Layout L;
  if (!layout_for(shape, p, L, err)) return false;
  out.L = L;
  const int k = L.k, len = L.len;
  const int64_t n = L.nChunks * k;
  out.indices.assign(n, 0);
  out.codes.assign(n, 0);
  std::vector<float> vals(n);
  std::vector<double> part(L.nChunks);
  bool bad = false;

#pragma omp parallel
  {
    std::vector<uint32_t> keys(len), scratch(len);
    uint32_t hist[kHist];
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < L.nChunks; ch++) {
      const int64_t base = chunk_base(L, ch);
      bool local_bad = false;
      std::memset(hist, 0, sizeof hist);
      int l = 0;
      for (int r = 0; r < L.c1; r++) {
        const float* row = e + base + (int64_t)r * L.cols;
        for (int c = 0; c < L.c2; c++) {
          uint32_t kk = key_of(row[c]);
          local_bad |= kk >= 0x7f800000u;
          keys[l++] = kk;
          hist[kk >> 21]++;
        }
      }
      if (local_bad) {
#pragma omp atomic write
        bad = true;
        continue;
      }
      uint16_t* idx = out.indices.data() + ch * k;
      if (k == len) {
        for (int i = 0; i < len; i++) idx[i] = (uint16_t)i;
      } else {
        // the histogram bucket (top 10 bits) holding the k-th largest key, then an exact
        // selection among that bucket's keys only
        int above = 0, b = kHist - 1;
        while (above + (int)hist[b] < k) above += hist[b--];
        int m = 0;
        for (int i = 0; i < len; i++)
          if ((int)(keys[i] >> 21) == b) scratch[m++] = keys[i];
        const int need = k - above;  // need-th largest among the m
        std::nth_element(scratch.begin(), scratch.begin() + (m - need), scratch.begin() + m);
        const uint32_t t = scratch[m - need];
        int gt = above;
        for (int i = 0; i < m; i++) gt += scratch[i] > t;
        int eqLeft = k - gt, o = 0;
        for (int i = 0; i < len; i++) {
          uint32_t kk = keys[i];
          if (kk >= t && (kk > t || eqLeft-- > 0)) idx[o++] = (uint16_t)i;
        }
      }
      double s = 0;
      float* v = vals.data() + ch * k;
      for (int j = 0; j < k; j++) {
        v[j] = e[pos_of(L, base, idx[j])];
        s += (double)v[j];
      }
      part[ch] = s;
    }
  }
  if (bad) {
    if (err) *err = "non-finite value in the error-feedback buffer";
    return false;
  }
  const double total = tree_sum(part.data(), L.nChunks);
  const float shift = (float)(total / (double)n);
  const double shiftd = shift;

#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < L.nChunks; ch++) {
    double s = 0;
    const float* v = vals.data() + ch * k;
    for (int j = 0; j < k; j++) {
      double x = (double)v[j] - shiftd;
      double x2 = x * x;
      s += x2;
    }
    part[ch] = s;
  }
  const double ss = tree_sum(part.data(), L.nChunks);
  const float sigma = n > 1 ? (float)std::sqrt(ss / (double)(n - 1)) : 0.0f;
  const double t = 1.5 * (double)sigma;

  std::vector<double> lsum(L.nChunks * 4);
  std::vector<int64_t> lcnt(L.nChunks * 4);
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < L.nChunks; ch++) {
    double s[4] = {0, 0, 0, 0};
    int64_t c4[4] = {0, 0, 0, 0};
    const float* v = vals.data() + ch * k;
    uint8_t* codes = out.codes.data() + ch * k;
    for (int j = 0; j < k; j++) {
      double x = (double)v[j] - shiftd;
      int c;
      if (sigma == 0.0f) c = x >= 0 ? 2 : 1;
      else c = x < -t ? 0 : x < 0 ? 1 : x < t ? 2 : 3;
      codes[j] = (uint8_t)c;
      s[c] += x;
      c4[c]++;
    }
    for (int c = 0; c < 4; c++) {
      lsum[ch * 4 + c] = s[c];
      lcnt[ch * 4 + c] = c4[c];
    }
  }
  double S[4];
  int64_t C[4] = {0, 0, 0, 0};
  for (int64_t ch = 0; ch < L.nChunks; ch++)
    for (int c = 0; c < 4; c++) C[c] += lcnt[ch * 4 + c];
  for (int c = 0; c < 4; c++) S[c] = tree_sum(lsum.data() + c, L.nChunks, 4);
  out.shift = shift;
  out.sigma = sigma;
  float deq[4];
  for (int c = 0; c < 4; c++) {
    out.lut[c] = C[c] ? (float)(S[c] / (double)C[c]) : 0.0f;
    deq[c] = out.lut[c] + shift;
  }
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < L.nChunks; ch++) {
    const int64_t base = chunk_base(L, ch);
    const uint16_t* idx = out.indices.data() + ch * k;
    const uint8_t* codes = out.codes.data() + ch * k;
    for (int j = 0; j < k; j++) {
      float& x = e[pos_of(L, base, idx[j])];
      x = x - deq[codes[j]];
    }
  }
  return true;
}

void aggregate(const Layout& L, const std::vector<PeerView>& peers, float* out, uint16_t* cnt) {
  const size_t P = peers.size();
  const int64_t n = L.nChunks * L.k;
  std::vector<double> norms(P);
  std::vector<float> w(P * 4);
  for (size_t p = 0; p < P; p++) {
    int64_t c4[4] = {0, 0, 0, 0};
    const uint8_t* codes = peers[p].codes;
    for (int64_t j = 0; j < n; j++) c4[codes[j]]++;
    double s = 0;
    for (int c = 0; c < 4; c++) {
      float d = peers[p].lut[c] + peers[p].shift;
      double dd = (double)d * (double)d;
      double term = (double)c4[c] * dd;
      s += term;
    }
    norms[p] = std::sqrt(s);
  }
  std::vector<double> sorted(norms);
  std::sort(sorted.begin(), sorted.end());
  const double med = sorted[(P - 1) / 2];
  for (size_t p = 0; p < P; p++) {
    const float scale = (float)std::min(1.0, med / (norms[p] + 1e-8));
    for (int c = 0; c < 4; c++) {
      float d = peers[p].lut[c] + peers[p].shift;
      w[p * 4 + c] = d * scale;
    }
  }
  const int k = L.k;
  // Chunks are disjoint, so threads own whole chunks; within a chunk peers add in order.
#pragma omp parallel for schedule(static)
  for (int64_t bi = 0; bi < L.rows / L.c1; bi++) {
    float* rowsOut = out + bi * L.c1 * L.cols;
    uint16_t* rowsCnt = cnt + bi * L.c1 * L.cols;
    std::memset(rowsOut, 0, sizeof(float) * L.c1 * L.cols);
    std::memset(rowsCnt, 0, sizeof(uint16_t) * L.c1 * L.cols);
    for (size_t p = 0; p < P; p++) {
      const float* wp = w.data() + p * 4;
      for (int64_t bj = 0; bj < L.perRow; bj++) {
        const int64_t ch = bi * L.perRow + bj;
        const int64_t base = chunk_base(L, ch);
        const uint16_t* idx = peers[p].indices + ch * k;
        const uint8_t* codes = peers[p].codes + ch * k;
        for (int j = 0; j < k; j++) {
          int64_t pos = pos_of(L, base, idx[j]);
          out[pos] = out[pos] + wp[codes[j]];
          cnt[pos]++;
        }
      }
    }
    for (int64_t i = 0; i < L.c1 * L.cols; i++)
      if (rowsCnt[i] > 1) rowsOut[i] = rowsOut[i] / (float)rowsCnt[i];
  }
}

}  // namespace codec
}  // namespace loco
