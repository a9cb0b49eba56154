// loco-codec: the native SparseLoCo codec as a small command-line tool (for the TS/C++ parity test
// and `loco bench codec`). All files are little-endian.
//
//   loco-codec encode IN OUT
//     IN : u32 magic "LCEQ", u32 count, f32 beta, u32 topk, u32 chunk, u32 withDelta (0|1),
//          then per tensor: u32 rank, u32 dims[rank], f32 e[n], (f32 delta[n] when withDelta)
//     OUT: per tensor: u32 nChunks, u32 k, u32 c1, u32 c2, f32 shift, f32 sigma, f32 lut[4],
//          u16 indices[nChunks·k], u8 codes[nChunks·k], f32 e_after[n]
//   loco-codec aggregate IN OUT
//     IN : u32 magic "LCAG", u32 peers P, u32 rank, u32 dims[rank], u32 topk, u32 chunk,
//          then per peer: f32 shift, f32 lut[4], u16 indices[nChunks·k], u8 codes[nChunks·k]
//     OUT: f32 dense[n]
//   loco-codec bench PEERS TOPK CHUNK SEED < shapes   (one tensor per line: "rows cols" or "n")
//     prints one JSON line: per-peer encode seconds, decode+aggregate seconds, memcpy GB/s, …
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/codec.h"

using namespace loco::codec;

static void die(const std::string& m) {
  std::fprintf(stderr, "loco-codec: %s\n", m.c_str());
  std::exit(2);
}

struct Reader {
  std::vector<char> buf;
  size_t pos = 0;
  explicit Reader(const char* path) {
    FILE* f = std::fopen(path, "rb");
    if (!f) die(std::string("cannot open ") + path);
    char tmp[1 << 16];
    size_t r;
    while ((r = std::fread(tmp, 1, sizeof tmp, f)) > 0) buf.insert(buf.end(), tmp, tmp + r);
    std::fclose(f);
  }
  void get(void* dst, size_t n) {
    if (pos + n > buf.size()) die("input file is truncated");
    std::memcpy(dst, buf.data() + pos, n);
    pos += n;
  }
  uint32_t u32() {
    uint32_t v;
    get(&v, 4);
    return v;
  }
  float f32() {
    float v;
    get(&v, 4);
    return v;
  }
};

struct Writer {
  FILE* f;
  explicit Writer(const char* path) : f(std::fopen(path, "wb")) {
    if (!f) die(std::string("cannot write ") + path);
  }
  ~Writer() { std::fclose(f); }
  void put(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f) != n) die("write failed");
  }
  void u32(uint32_t v) { put(&v, 4); }
  void f32(float v) { put(&v, 4); }
};

static std::vector<int64_t> read_shape(Reader& r) {
  uint32_t rank = r.u32();
  if (rank < 1 || rank > 2) die("rank must be 1 or 2");
  std::vector<int64_t> s;
  for (uint32_t i = 0; i < rank; i++) s.push_back(r.u32());
  return s;
}

static int cmd_encode(const char* in, const char* outPath) {
  Reader r(in);
  if (r.u32() != 0x5145434cu) die("bad magic (want LCEQ)");
  uint32_t count = r.u32();
  Params p;
  p.beta = r.f32();
  p.topk = (int)r.u32();
  p.chunk = (int)r.u32();
  uint32_t withDelta = r.u32();
  Writer w(outPath);
  for (uint32_t t = 0; t < count; t++) {
    std::vector<int64_t> shape = read_shape(r);
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> e(n), d;
    r.get(e.data(), n * 4);
    if (withDelta) {
      d.resize(n);
      r.get(d.data(), n * 4);
      error_feedback(e.data(), d.data(), n, p.beta);
    }
    Encoded enc;
    std::string err;
    if (!encode(e.data(), shape, p, enc, &err)) die(err);
    w.u32((uint32_t)enc.L.nChunks);
    w.u32((uint32_t)enc.L.k);
    w.u32((uint32_t)enc.L.c1);
    w.u32((uint32_t)enc.L.c2);
    w.f32(enc.shift);
    w.f32(enc.sigma);
    for (int c = 0; c < 4; c++) w.f32(enc.lut[c]);
    w.put(enc.indices.data(), enc.indices.size() * 2);
    w.put(enc.codes.data(), enc.codes.size());
    w.put(e.data(), n * 4);
  }
  return 0;
}

static int cmd_aggregate(const char* in, const char* outPath) {
  Reader r(in);
  if (r.u32() != 0x4741434cu) die("bad magic (want LCAG)");
  uint32_t P = r.u32();
  std::vector<int64_t> shape = read_shape(r);
  Params p;
  p.topk = (int)r.u32();
  p.chunk = (int)r.u32();
  Layout L;
  std::string err;
  if (!layout_for(shape, p, L, &err)) die(err);
  const int64_t n = L.nChunks * L.k;
  std::vector<std::vector<uint16_t>> idx(P, std::vector<uint16_t>(n));
  std::vector<std::vector<uint8_t>> codes(P, std::vector<uint8_t>(n));
  std::vector<PeerView> peers(P);
  for (uint32_t q = 0; q < P; q++) {
    peers[q].shift = r.f32();
    for (int c = 0; c < 4; c++) peers[q].lut[c] = r.f32();
    r.get(idx[q].data(), n * 2);
    r.get(codes[q].data(), n);
    peers[q].indices = idx[q].data();
    peers[q].codes = codes[q].data();
  }
  std::vector<float> out(L.numel);
  std::vector<uint16_t> cnt(L.numel);
  aggregate(L, peers, out.data(), cnt.data());
  Writer w(outPath);
  w.put(out.data(), L.numel * 4);
  return 0;
}

// --- bench -------------------------------------------------------------------------------------

static inline uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Synthetic pseudo-gradient: Laplace-like values (difference of two exponentials approximated
// cheaply) with a per-row scale, as in the TypeScript bench.
static void synth(float* d, int64_t rows, int64_t cols, uint64_t seed) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    uint64_t s = seed * 0x100000001b3ull + (uint64_t)r;
    splitmix(s);
    double u0 = ((splitmix(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    float rowScale = (float)(1e-3 * std::exp(0.5 * (u0 - 0.5) * 2.0));
    for (int64_t c = 0; c < cols; c++) {
      uint64_t z = splitmix(s);
      double u = ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
      double v = u < 0.5 ? std::log(2 * u) : -std::log(2 * (1 - u));
      d[r * cols + c] = (float)(v * rowScale);
    }
  }
}

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static int cmd_bench(int argc, char** argv) {
  if (argc < 6) die("usage: loco-codec bench PEERS TOPK CHUNK SEED < shapes");
  int P = std::atoi(argv[2]);
  Params p;
  p.topk = std::atoi(argv[3]);
  p.chunk = std::atoi(argv[4]);
  uint64_t seed = std::strtoull(argv[5], nullptr, 10);
  std::vector<std::vector<int64_t>> shapes;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream is(line);
    std::vector<int64_t> s;
    int64_t v;
    while (is >> v) s.push_back(v);
    if (!s.empty()) shapes.push_back(s);
  }
  // memory-bandwidth floor: a large copy (read + write counted)
  const int64_t big = 1ll << 27;  // 512 MiB of floats
  std::vector<float> a(big, 1.0f), b(big, 0.0f);
  double bestCopy = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < big; i += 1 << 20) std::memcpy(b.data() + i, a.data() + i, sizeof(float) * std::min<int64_t>(1 << 20, big - i));
    bestCopy = std::min(bestCopy, now() - t0);
  }
  double copyGBs = 2.0 * big * 4 / bestCopy / 1e9;
  a.clear();
  a.shrink_to_fit();
  b.clear();
  b.shrink_to_fit();

  double encS = 0, aggS = 0, efS = 0, encCpu = 0, aggCpu = 0;
  int64_t numel = 0, kept = 0;
  for (const auto& shape : shapes) {
    Layout L;
    std::string err;
    if (!layout_for(shape, p, L, &err)) die(err);
    numel += L.numel;
    kept += L.nChunks * L.k;
    std::vector<float> d(L.numel), e(L.numel);
    std::vector<Encoded> enc(P);
    for (int q = 0; q < P; q++) {
      synth(d.data(), L.rows, L.cols, seed * 1000 + q * 7919 + numel);
      std::fill(e.begin(), e.end(), 0.0f);
      std::clock_t c0 = std::clock();
      double t0 = now();
      error_feedback(e.data(), d.data(), L.numel, p.beta);
      double t1 = now();
      if (!encode(e.data(), shape, p, enc[q], &err)) die(err);
      double t2 = now();
      encCpu += (double)(std::clock() - c0) / CLOCKS_PER_SEC;
      efS += t1 - t0;
      encS += t2 - t0;
    }
    std::vector<PeerView> views(P);
    for (int q = 0; q < P; q++) {
      views[q].indices = enc[q].indices.data();
      views[q].codes = enc[q].codes.data();
      views[q].shift = enc[q].shift;
      for (int c = 0; c < 4; c++) views[q].lut[c] = enc[q].lut[c];
    }
    std::vector<uint16_t> cnt(L.numel);
    std::clock_t c0 = std::clock();
    double t0 = now();
    aggregate(L, views, d.data(), cnt.data());
    aggS += now() - t0;
    aggCpu += (double)(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  std::printf(
      "{\"peers\":%d,\"tensors\":%zu,\"numel\":%lld,\"kept\":%lld,\"threads\":%d,\"copy_gbps\":%.3f,"
      "\"encode_s_per_peer\":%.6f,\"encode_cpu_s_per_peer\":%.6f,\"ef_s_per_peer\":%.6f,\"aggregate_s\":%.6f,"
      "\"aggregate_cpu_s\":%.6f}\n",
      P, shapes.size(), (long long)numel, (long long)kept, threads, copyGBs, encS / P, encCpu / P, efS / P, aggS, aggCpu);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "encode") == 0) return cmd_encode(argv[2], argv[3]);
  if (argc >= 4 && std::strcmp(argv[1], "aggregate") == 0) return cmd_aggregate(argv[2], argv[3]);
  if (argc >= 2 && std::strcmp(argv[1], "bench") == 0) return cmd_bench(argc, argv);
  std::fprintf(stderr, "usage: loco-codec encode IN OUT | aggregate IN OUT | bench PEERS TOPK CHUNK SEED < shapes\n");
  return 2;
}
