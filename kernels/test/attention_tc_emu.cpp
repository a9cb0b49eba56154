// build/attention-tc-emu: runs the tensor-core attention kernels (src/cuda/attention_tc2_kernels.cuh,
// the very code the GPU runs) on the CPU — one fiber per CUDA thread (emu_fibers.h), barriers for
// __syncthreads and warp shuffles, and a software mma.m16n8k16 that reads and writes the fragments
// in the PTX ISA layout — and compares forward (y, logsumexp) and backward (dq, dk, dv) with the CPU
// engine's attention in double precision, on bf16-rounded inputs, for every head size and sequence
// lengths that end mid-tile. It checks the kernels' indexing, masking, tiling and online softmax
// without a GPU (the fragment layout itself is the one assumption it shares with the kernels).
// Prints one JSON line; exits 1 on failure. --inject-hazard runs the wgmma cases with every
// wgmma.wait_group N > 0 taken as N + 1 (one batch of products left running longer than the kernel
// allows), which the overlapped kernels must fail — the asynchrony model can catch a missing wait —
// and the waiting ones (wait_group 0 only) pass. --inject-bug perturbs one dk element (one case only) to
// show that it can fail. Built with -fno-strict-aliasing: the kernels pun bf16 pairs through uint32
// as CUDA code does, which host C++ at -O2 would otherwise miscompile.
#define LOCO_CUDA_EMULATE 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__
#define __grid_constant__

#include "emu_fibers.h"
#include "fnv1a.h"
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <cuda_bf16.h>
#include <vector_types.h>

// CUDA's built-in variables and intrinsics, per emulated thread.
struct EmuDim { unsigned x = 0, y = 0, z = 0; };
static EmuDim threadIdx, blockIdx;  // of the fiber running (emu_fibers.h: one fiber per CUDA thread)
static EmuDim gridDim, blockDim;
static constexpr int EMU_THREADS = 384;  // the most threads a block may have (three warpgroups: LOCO_CUDA_ATTN_FWD=wgmma2-ws)
static int g_block_threads = 128;
static EmuFibers g_fibers;
static float g_shfl[EMU_THREADS];
// barrier ids: 0 the block, 1 + w warp w
static void warp_barrier(int w) { g_fibers.barrier(1 + w); }
// barrier WG_BARRIER + i: warpgroup i's 128 threads (the emulated wgmma's exchanges)
static constexpr int WG_BARRIER = 1 + EMU_THREADS / 32;
static void __syncthreads() { g_fibers.barrier(0); }
// barrier NAMED_BARRIER + i: the kernel's named barrier i (bar.sync / bar.arrive i, n), n = the block
static constexpr int NAMED_BARRIER = WG_BARRIER + EMU_THREADS / 128;
// The asynchronous operations of each emulated thread (cp.async copies, wgmma products), as the
// hardware groups them: issued into an open group, closed by a commit, and done at the wait_group N
// that covers them (every committed group but the newest N) — the latest moment a GPU may.
template <typename Op>
struct AsyncGroups {
  std::vector<std::vector<Op>> committed[EMU_THREADS];  // per thread, oldest first
  std::vector<Op> open[EMU_THREADS];                    // issued since the last commit
  void issue(const Op& op) { open[threadIdx.x].push_back(op); }
  void commit() {
    committed[threadIdx.x].push_back(std::move(open[threadIdx.x]));
    open[threadIdx.x].clear();
  }
  // the operations wait_group `pending` completes, in issue order
  std::vector<Op> take(int pending) {
    auto& groups = committed[threadIdx.x];
    std::vector<Op> run;
    while ((int)groups.size() > pending) {
      for (const Op& op : groups.front()) run.push_back(op);
      groups.erase(groups.begin());
    }
    return run;
  }
  // every operation issued and not yet taken, the open group's too, without running them (the
  // operations an mbarrier arrival of cp.async waits for: all of this thread's earlier copies)
  std::vector<Op> take_all() {
    commit();
    return take(0);
  }
  // at a kernel's exit: whether any were issued and never waited for (forgotten either way)
  bool outstanding() {
    const bool any = !open[threadIdx.x].empty() || !committed[threadIdx.x].empty();
    open[threadIdx.x].clear();
    committed[threadIdx.x].clear();
    return any;
  }
};
static void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
// a·b rounded to float; this file is built without -march, so the host has no FMA to contract it into
static float __fmul_rn(float a, float b) { return a * b; }
static float __shfl_xor_sync(unsigned, float v, int m) {
  const int t = threadIdx.x, w = t / 32;
  g_shfl[t] = v;
  warp_barrier(w);
  const float r = g_shfl[(t & ~31) | ((t & 31) ^ m)];
  warp_barrier(w);
  return r;
}

// The dynamic shared memory of the block being run (blocks run one after another).
namespace attn_tc2 {
// the emulated TMA's tensor map (attention_wg_kernels.cuh's TmaMap; the engine's is a CUtensorMap
// that attention_tc2.cu's qkv_map fills with the same numbers): bf16, the 128-byte swizzle, zero fill
struct TmaMap {
  const void* base;
  uint64_t dim[3];     // elements: columns, rows, sequences
  uint64_t stride[2];  // bytes from one row to the next, and from one sequence to the next
  uint32_t box[2];     // columns, rows
};
alignas(16) unsigned char smraw[256 * 1024];
// the fused backward's ticket and ordered counters; blocks run one after another in launch order,
// which is ticket order, so a wait must end at once — one that does not is an ordering bug
int emu_ticket(int* p) { return __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST); }
int emu_ld_acquire(const int* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void emu_st_release(int* p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
void emu_wait_pause() {
  fprintf(stderr, "attention-tc-emu: a block waits for a key block that has not added its dQ share\n");
  exit(3);
}
// cp.async, as late as the hardware may: each thread's copies are queued in groups and done at the
// cp.async.wait_group that covers them, reading the source then; from the issue on, the destination
// holds garbage (0xcd). So a tile read before its wait, or a stage refilled while its old contents are
// still read, gives wrong numbers here, as it may on a GPU. (Until 2026-11-27 each copy was done at
// once, which caught only the second.)
struct CpOp {
  void* dst;
  const void* src;
  int bytes;
};
static AsyncGroups<CpOp> g_cp;
void emu_cp_async(void* dst, const void* src, int bytes) {
  std::memset(dst, 0xcd, bytes);
  g_cp.issue({dst, src, bytes});
}
void emu_cp_async_commit() { g_cp.commit(); }
// a copy lands (a null source: the zeros cp.async's src-size 0 writes)
static void cp_land(const CpOp& c) {
  if (c.src) std::memcpy(c.dst, c.src, c.bytes);
  else std::memset(c.dst, 0, c.bytes);
}
void emu_cp_async_wait(int pending) {
  for (const CpOp& c : g_cp.take(pending)) cp_land(c);
}
// at a kernel's exit: copies issued and never waited for
bool emu_cp_outstanding() { return g_cp.outstanding(); }
// A TMA copy (cp.async.bulk.tensor): a box of a map (TmaMap, attention_wg_kernels.cuh) landing at a
// shared-memory address in the 128-byte swizzle
struct TmaOp {
  uint32_t dst;
  TmaMap map;
  int c0, c1, c2;
};
// mbarriers (keyed by their shared-memory address; cleared per block): arrivals count down, and once
// all are in, the phase completes — running the cp.async copies that arrived on it — as late as the
// hardware may: when a thread first waits on it, or when the next phase's first arrival comes. A tile
// read without waiting for its phase, or a stage refilled before every reader arrived on its empty
// barrier, gives wrong numbers here. TMA copies count their bytes on the phase (tx: the bytes
// announced by mbarrier.arrive.expect_tx less those issued), which needs them all, with its
// arrivals, to complete; they land then (their destination holds garbage from the issue on).
struct EmuMbar {
  int count = 0, pending = 0;
  unsigned phase = 0;   // completed phases
  bool all_in = false;  // the current phase has all its arrivals and bytes, not yet completed
  std::vector<CpOp> copies;
  long long tx = 0;  // bytes announced and not yet issued (the hardware's count goes below 0 too)
  std::vector<TmaOp> tma;
};
static std::map<uint32_t, EmuMbar> g_mbar;  // by shared-memory address
void emu_mbar_reset() { g_mbar.clear(); }
static EmuMbar& mbar_at(uint32_t bar) {
  auto it = g_mbar.find(bar);
  if (it == g_mbar.end()) throw std::runtime_error("mbarrier: used before mbarrier.init");
  return it->second;
}
// a box lands: every element inside the map read, every one outside it zero; box row r at dst + 128·r,
// its 16-byte chunks swizzled as the hardware does, by the shared-memory address's bits 7-9
static void tma_land(const TmaOp& op) {
  const TmaMap& m = op.map;
  for (uint32_t r = 0; r < m.box[1]; r++)
    for (uint32_t c = 0; c < m.box[0]; c++) {
      const long long col = (long long)op.c0 + c, row = (long long)op.c1 + r, seq = op.c2;
      uint16_t v = 0;
      if (col >= 0 && row >= 0 && seq >= 0 && (uint64_t)col < m.dim[0] && (uint64_t)row < m.dim[1] && (uint64_t)seq < m.dim[2])
        std::memcpy(&v, static_cast<const unsigned char*>(m.base) + seq * m.stride[1] + row * m.stride[0] + col * 2, 2);
      const uint32_t a = op.dst + 128 * r + 2 * c;
      std::memcpy(smraw + (a ^ (((a >> 7) & 7u) << 4)), &v, 2);
    }
}
static void mbar_complete(EmuMbar& b) {
  for (const CpOp& c : b.copies) cp_land(c);
  for (const TmaOp& t : b.tma) tma_land(t);
  b.copies.clear();
  b.tma.clear();
  b.phase++;
  b.pending = b.count;
  b.all_in = false;
}
static void mbar_check_in(EmuMbar& b) { b.all_in = b.pending == 0 && b.tx == 0; }
static void mbar_arrive_on(EmuMbar& b) {
  if (b.all_in) mbar_complete(b);  // an arrival on the next phase: the last one is over
  --b.pending;
  mbar_check_in(b);
}
void emu_mbar_init(uint32_t bar, int count) {
  if (bar % 8 || bar + 8 > sizeof smraw) throw std::runtime_error("mbarrier.init: not an 8-byte aligned shared-memory address");
  g_mbar[bar] = EmuMbar{count, count, 0, false, {}, 0, {}};
}
// at a block's end: a barrier with copies issued on it that never landed (their phase never waited
// for: on a GPU the block may have ended before they did)
bool emu_mbar_outstanding() {
  for (const auto& [bar, b] : g_mbar)
    if (!b.copies.empty() || !b.tma.empty() || b.tx != 0) return true;
  return false;
}
void emu_mbar_arrive(uint32_t bar) { mbar_arrive_on(mbar_at(bar)); }
void emu_cp_async_mbar_arrive(uint32_t bar) {
  EmuMbar& b = mbar_at(bar);
  if (b.all_in) mbar_complete(b);
  for (const CpOp& c : g_cp.take_all()) b.copies.push_back(c);
  mbar_arrive_on(b);
}
void emu_mbar_expect_tx(uint32_t bar, uint32_t bytes) {
  EmuMbar& b = mbar_at(bar);
  if (b.all_in) mbar_complete(b);
  b.tx += bytes;
  mbar_check_in(b);
}
void emu_mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  emu_mbar_expect_tx(bar, bytes);
  mbar_arrive_on(mbar_at(bar));
}
void emu_tma_load_3d(uint32_t dst, const TmaMap* map, int c0, int c1, int c2, uint32_t bar) {
  // (the hardware needs 128-byte alignment; the kernels' swizzle pattern, the wgmma layout's, 1024)
  if (dst % 1024 || map->box[0] * 2 != 128 || dst + 128 * map->box[1] > sizeof smraw)
    throw std::runtime_error("cp.async.bulk.tensor: a box of 128-byte rows to a 1024-byte aligned shared-memory address");
  EmuMbar& b = mbar_at(bar);
  if (b.all_in) mbar_complete(b);
  std::memset(smraw + dst, 0xcd, 128 * map->box[1]);
  b.tma.push_back({dst, *map, c0, c1, c2});
  b.tx -= 128LL * map->box[1];
  mbar_check_in(b);
}
// the phase of parity `parity` completed: earlier, or now, its arrivals all in
void emu_mbar_wait(uint32_t bar, int parity) {
  EmuMbar& b = mbar_at(bar);
  g_fibers.wait_until([&b, parity] {
    if ((int)(b.phase & 1) != parity) return true;
    if (!b.all_in) return false;
    mbar_complete(b);
    return true;
  });
}
}

// common.cuh's declarations need these names; their CUDA definitions are not used here.
#include "../src/cuda/attention_tc2_kernels.cuh"
#include "../src/cuda/attention_wg_kernels.cuh"
#include "config.h"
#include "ops.h"

void cuda_fail(cudaError_t, const char*, const char*, int) { throw std::runtime_error("cuda_fail in emulation"); }
void cuda_launch_check(const char*, const char*, int) {}

namespace attn_tc2 {
// mma.m16n8k16.row.col f32.bf16.bf16.f32, warp-collective: every lane deposits its fragments; each
// lane then computes its own C elements from the whole A (16×16) and B (16×8).
struct MmaSlot { uint32_t a[4], b0, b1; };
static MmaSlot g_mma[EMU_THREADS];
static float bf(uint32_t reg, int hi) {
  const uint16_t h = hi ? (uint16_t)(reg >> 16) : (uint16_t)(reg & 0xffff);
  const uint32_t f = (uint32_t)h << 16;
  float x;
  std::memcpy(&x, &f, 4);
  return x;
}
void emu_mma16816(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  const int t = threadIdx.x, w = t / 32, base = w * 32;
  g_mma[t] = MmaSlot{{a[0], a[1], a[2], a[3]}, b0, b1};
  warp_barrier(w);
  float A[16][16], B[16][8];
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane >> 2, tg = lane & 3;
    const MmaSlot& s = g_mma[base + lane];
    for (int e = 0; e < 2; e++) {
      A[g][2 * tg + e] = bf(s.a[0], e);
      A[g + 8][2 * tg + e] = bf(s.a[1], e);
      A[g][2 * tg + 8 + e] = bf(s.a[2], e);
      A[g + 8][2 * tg + 8 + e] = bf(s.a[3], e);
      B[2 * tg + e][g] = bf(s.b0, e);
      B[2 * tg + 8 + e][g] = bf(s.b1, e);
    }
  }
  const int lane = t & 31, g = lane >> 2, tg = lane & 3;
  for (int e = 0; e < 4; e++) {
    const int row = g + (e >= 2 ? 8 : 0), col = 2 * tg + (e & 1);
    float acc = c[e];
    for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
    c[e] = acc;
  }
  warp_barrier(w);
}

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16, warp-collective: lanes 8i..8i+7 give the row
// addresses of matrix i (8 bf16 each); register i of lane L receives matrix i's elements
// (row L/4, columns 2(L%4) and 2(L%4)+1), or with .trans (rows 2(L%4) and 2(L%4)+1, column L/4),
// the lower-indexed element in the low half.
static const bf16* g_ldsm[EMU_THREADS];
void emu_ldmatrix_x4(uint32_t r[4], const bf16* row_addr, bool trans) {
  const int t = threadIdx.x, w = t / 32, base = w * 32, lane = t & 31;
  if ((reinterpret_cast<uintptr_t>(row_addr) & 15) != 0) throw std::runtime_error("ldmatrix: row address not 16-byte aligned");
  g_ldsm[t] = row_addr;
  warp_barrier(w);
  auto bits = [](const bf16* p) { uint16_t u; std::memcpy(&u, p, 2); return (uint32_t)u; };
  for (int i = 0; i < 4; i++) {
    const bf16* const* rows = g_ldsm + base + 8 * i;
    uint32_t lo, hi;
    if (!trans) {
      lo = bits(rows[lane / 4] + 2 * (lane % 4));
      hi = bits(rows[lane / 4] + 2 * (lane % 4) + 1);
    } else {
      lo = bits(rows[2 * (lane % 4)] + lane / 4);
      hi = bits(rows[2 * (lane % 4) + 1] + lane / 4);
    }
    r[i] = lo | (hi << 16);
  }
  warp_barrier(w);
}
}  // namespace attn_tc2

namespace attn_tc2 {
bool emu_wgmma_outstanding();
bool emu_cp_outstanding();
bool emu_mbar_outstanding();
void emu_mbar_reset();
}
static void launch(unsigned gx, unsigned gy, const std::function<void()>& body, int nthreads = 128) {
  gridDim = EmuDim{gx, gy, 1};
  g_block_threads = nthreads;
  g_fibers.on_resume = [](int t) { threadIdx = EmuDim{(unsigned)t, 0, 0}; };
  for (unsigned by = 0; by < gy; by++)
    for (unsigned bx = 0; bx < gx; bx++) {
      // stale shared memory must not matter
      std::memset(attn_tc2::smraw, 0xcd, sizeof attn_tc2::smraw);
      blockIdx = EmuDim{bx, by, 0};
      g_fibers.set_barrier(0, nthreads);
      for (int w = 0; w < nthreads / 32; w++) g_fibers.set_barrier(1 + w, 32);
      for (int wg = 0; wg < nthreads / 128; wg++) g_fibers.set_barrier(WG_BARRIER + wg, 128);
      for (int id = 1; id <= 15; id++) g_fibers.set_barrier(NAMED_BARRIER + id, nthreads);
      attn_tc2::emu_mbar_reset();
      g_fibers.run(nthreads, [&](int) {
        body();
        if (attn_tc2::emu_wgmma_outstanding()) {
          fprintf(stderr, "attention-tc-emu: a kernel exited with wgmma products not waited for\n");
          std::abort();
        }
        if (attn_tc2::emu_cp_outstanding()) {
          fprintf(stderr, "attention-tc-emu: a kernel exited with cp.async copies not waited for\n");
          std::abort();
        }
      });
      if (attn_tc2::emu_mbar_outstanding()) {
        fprintf(stderr, "attention-tc-emu: a block ended with copies on an mbarrier phase nobody waited for\n");
        std::abort();
      }
    }
}


namespace attn_tc2 {
// wgmma.mma_async.sync.aligned.m64nNk16.f32.bf16.bf16, warpgroup-collective (each 128 threads of the
// block a warpgroup of its own), on the readings the kernel is written for (attention_wg_kernels.cuh;
// what build/wgmma-probe checks on a GPU): thread T = 32w + 4g + t of a warpgroup holds accumulator r at row
// 16w + g + 8·((r/2)%2), column 8·(r/4) + 2t + r%2; A from registers is mma.m16n8k16's A fragment
// of warp w's rows; no-swizzle shared-memory operands are 8-row × 16-byte core matrices, LBO and SBO
// their strides along K or M/N as WG_*_LBO_IS_K say; B is K-major, or MN-major with trans_b.
// Asynchrony: each thread queues its products (wgmma.mma_async; AsyncGroups) and runs them only at the wait that
// must complete them (wgmma.wait_group N: every committed group but the last N) — the latest moment
// the hardware may — reading the A registers and shared-memory operands then and adding into the
// accumulators then. A kernel that rewrites an operand, or reads an accumulator, before the wait that
// covers it therefore gets wrong numbers here, as it could on a GPU.
struct WgOp {
  float* d;
  int N;
  const uint32_t* a_regs;
  uint64_t da, db;
  bool trans_b, accumulate;
};
static AsyncGroups<WgOp> g_wg;
// the A registers of the products one wait runs, every thread's, exchanged through here (slot i: the
// i-th product of the wait that takes its A from registers)
static constexpr int WG_MAX_RS = 64;
static uint32_t g_wg_a[WG_MAX_RS][EMU_THREADS][4];
// one product for this thread's accumulators; A from slot `slot` of g_wg_a, or from shared memory
static void wgmma_run(const WgOp& op, int slot) {
  float* d = op.d;
  const int N = op.N, tid = threadIdx.x;
  // sw: layout type 1, the 128-byte swizzle (CUTLASS's canonical layouts): K-major, row m of 8-row
  // group m/8 at SBO·(m/8) + 128·(m%8), k contiguous from the start; MN-major, k row at SBO·(k/8) +
  // 128·(k%8), n contiguous within 64 columns, the next 64 at LBO; then address bits 4-6 XOR bits 7-9
  struct Desc { uint32_t start, k_stride, mn_stride, lbo, sbo; bool sw; };
  auto decode = [](uint64_t x, bool k_major) {
    const uint32_t start = (uint32_t)(x & 0x3FFF) << 4, lbo = (uint32_t)((x >> 16) & 0x3FFF) << 4,
                   sbo = (uint32_t)((x >> 32) & 0x3FFF) << 4, type = (uint32_t)(x >> 62);
    if (type != 0 && type != 1) throw std::runtime_error("wgmma: a swizzle mode the emulator does not model");
    const bool lbo_k = k_major ? WG_KMAJOR_LBO_IS_K : WG_MNMAJOR_LBO_IS_K;
    return Desc{start, lbo_k ? lbo : sbo, lbo_k ? sbo : lbo, lbo, sbo, type == 1};
  };
  auto at = [](uint32_t off) {
    if (off + 2 > sizeof smraw) throw std::runtime_error("wgmma: operand outside shared memory");
    uint16_t u;
    std::memcpy(&u, smraw + off, 2);
    return bf((uint32_t)u, 0);
  };
  auto swz = [](uint32_t a) { return a ^ (((a >> 7) & 7u) << 4); };
  const Desc A = decode(op.da, true), Bd = decode(op.db, !op.trans_b);
  const int wg0 = tid - tid % 128;  // the warpgroup's first thread
  auto a_val = [&](int m, int k) {
    if (!op.a_regs) {
      if (A.sw) return at(swz(A.start + (m / 8) * A.sbo + (m % 8) * 128 + k * 2));
      return at(A.start + (m / 8) * A.mn_stride + (k / 8) * A.k_stride + (m % 8) * 16 + (k % 8) * 2);
    }
    const int w = m / 16, g = m % 8, half = (m % 16) / 8, t = (k % 8) / 2;
    return bf(g_wg_a[slot][wg0 + 32 * w + 4 * g + t][half + 2 * (k / 8)], k % 2);
  };
  auto b_val = [&](int n, int k) {
    if (Bd.sw) {
      if (!op.trans_b) return at(swz(Bd.start + (n / 8) * Bd.sbo + (n % 8) * 128 + k * 2));
      return at(swz(Bd.start + (n / 64) * Bd.lbo + (k / 8) * Bd.sbo + (k % 8) * 128 + (n % 64) * 2));
    }
    if (!op.trans_b) return at(Bd.start + (n / 8) * Bd.mn_stride + (k / 8) * Bd.k_stride + (n % 8) * 16 + (k % 8) * 2);
    return at(Bd.start + (k / 8) * Bd.k_stride + (n / 8) * Bd.mn_stride + (k % 8) * 16 + (n % 8) * 2);
  };
  const int w = (tid % 128) / 32, g = (tid % 32) / 4, t = tid % 4;
  for (int r = 0; r < N / 2; r++) {
    const int m = 16 * w + g + 8 * ((r / 2) % 2), n = 8 * (r / 4) + 2 * t + r % 2;
    float acc = op.accumulate ? d[r] : 0.f;  // scale-d
    for (int k = 0; k < 16; k++) acc += a_val(m, k) * b_val(n, k);
    d[r] = acc;
  }
}
void emu_wgmma(float* d, int N, const uint32_t* a_regs, uint64_t da, uint64_t db, bool trans_b, bool accumulate) {
  if (g_block_threads % 128) throw std::runtime_error("wgmma: the block must be whole warpgroups");
  g_wg.issue({d, N, a_regs, da, db, trans_b, accumulate});
}
void emu_wgmma_commit() { g_wg.commit(); }
// (the count, a multiple of 32 up to the block, comes with each use; a phase in progress keeps its own)
static void named_check(int id, int count) {
  if (id < 1 || id > 15 || count % 32 || count > g_block_threads || !g_fibers.ensure_participants(NAMED_BARRIER + id, count))
    throw std::runtime_error("bar.sync / bar.arrive: id 1-15, a count of whole warps, the same count within a phase");
}
void emu_named_barrier(int id, int count, bool wait) {
  named_check(id, count);
  if (wait) g_fibers.barrier(NAMED_BARRIER + id);
  else g_fibers.arrive(NAMED_BARRIER + id);
}
static bool g_weaker_waits = false;  // --inject-hazard
// Runs the products the wait completes, in issue order: every thread first publishes the A registers
// they read (as they are now), then all compute, then all have read them before a later wait reuses
// the slots — two barriers per wait.
void emu_wgmma_wait(int pending) {
  if (g_weaker_waits && pending > 0) pending++;
  const std::vector<WgOp> run = g_wg.take(pending);
  if (run.empty()) return;  // (the same for every thread of a warpgroup: it issues and waits together)
  const int tid = threadIdx.x;
  int rs = 0;
  for (const WgOp& op : run)
    if (op.a_regs) {
      if (rs == WG_MAX_RS) throw std::runtime_error("wgmma: too many register-A products in one wait");
      std::memcpy(g_wg_a[rs++][tid], op.a_regs, sizeof g_wg_a[0][0]);
    }
  g_fibers.barrier(WG_BARRIER + tid / 128);
  rs = 0;
  for (const WgOp& op : run) wgmma_run(op, op.a_regs ? rs++ : -1);
  g_fibers.barrier(WG_BARRIER + tid / 128);
}
// at a kernel's exit: products issued and never waited for (their results undefined on a GPU)
bool emu_wgmma_outstanding() { return g_wg.outstanding(); }
}  // namespace attn_tc2

static float round_bf16(float x) { return __bfloat162float(__float2bfloat16(x)); }

struct Err { double rel; };
static double rel_err(const std::vector<double>& a, const std::vector<double>& ref) {
  double dd = 0, rr = 0;
  for (size_t i = 0; i < a.size(); i++) {
    const double d = a[i] - ref[i];
    dd += d * d;
    rr += ref[i] * ref[i];
  }
  if (!std::isfinite(dd)) return INFINITY;
  return std::sqrt(dd) / std::max(std::sqrt(rr), 1e-30);
}

// The kernels a case runs besides the default ones (each flag: the switch that selects them)
struct Variant {
  bool rope = false;      // RoPE fused into the kernels (LOCO_CUDA_ROPE_FUSED=1)
  bool fused = false;     // the one-kernel backward, ordered dQ accumulation (LOCO_CUDA_ATTN_BWD=fused)
  bool wide = false;      // 32 rows per warp where Wide<HD> says so (LOCO_CUDA_ATTN_ROWS=32)
  bool rope_out = false;  // q, k arrive rotated (as k_rope leaves them) and the backward kernels rotate
                          // dq, dk back (ROPE_OUT, LOCO_CUDA_ROPE_BWD=fused); the default forward
  bool partials = false;  // with fused: each key block's dQ share stored as a partial and added in
                          // key-block order by attn2_dq_reduce_kernel (LOCO_CUDA_ATTN_BWD=partials)
  bool atomic = false;    // with fused: each share added by atomic adds (LOCO_CUDA_ATTN_BWD=atomic); blocks
                          // run here in key-block order, so the ordered sums, so the same bits. With
                          // wgmma and wgs = 2: the fused wgmma backward (attn3_bwd_dkv_kernel's DQ,
                          // LOCO_CUDA_ATTN_BWD=wgmma2-atomic), dK and dV the two-warpgroup kernel's bits
  bool wgmma = false;     // the backward on warpgroup MMA (attn3_bwd_{dkv,dq}_kernel, LOCO_CUDA_ATTN_BWD=wgmma)
  bool wgmma_sync = false;  // the wgmma kernels' waiting schedules (LOCO_CUDA_ATTN_BWD=wgmma-sync with
                            // wgmma, LOCO_CUDA_ATTN_FWD=wgmma-sync with wgmma_fwd)
  bool wgmma_fwd = false;   // the forward on warpgroup MMA (attn3_fwd_kernel, LOCO_CUDA_ATTN_FWD=wgmma)
  int wgs = 1;              // warpgroups per block of the wgmma kernels (2: LOCO_CUDA_ATTN_{FWD,BWD}=wgmma2)
  bool swizzle = false;     // the wgmma kernels' tiles in the 128-byte swizzle (LOCO_CUDA_ATTN_FWD=wgmma-sw,
                            // wgmma2-sw; with two warpgroups the backward too, LOCO_CUDA_ATTN_BWD=wgmma2-sw)
  bool keys128 = false;     // with wgmma_fwd and wgs = 2: the forward's 128-key tiles (LOCO_CUDA_ATTN_FWD=wgmma2-k128)
  bool areg = false;        // with wgs = 2: the score products' A operands held in registers
                            // (LOCO_CUDA_ATTN_FWD/BWD=wgmma2-areg; the backward at head_dim 64 only, with
                            // atomic too: wgmma2-atomic-areg)
  bool pingpong = false;    // with wgmma_fwd and wgs = 2: the forward's K/V stages handed over by
                            // mbarriers and its warpgroups' products in turns (LOCO_CUDA_ATTN_FWD=wgmma2-pp)
  bool mbar_bwd = false;    // with wgmma and wgs = 2: the backward kernels' stages handed over by
                            // mbarriers (LOCO_CUDA_ATTN_BWD=wgmma2-mb)
  bool producer = false;    // with pingpong: a producer warpgroup issues every copy, 384 threads
                            // (LOCO_CUDA_ATTN_FWD=wgmma2-ws)
  bool tma = false;         // with producer and swizzle: its copies TMA boxes issued by one thread
                            // (LOCO_CUDA_ATTN_FWD=wgmma2-tma); with mbar_bwd and swizzle, the
                            // backward's (LOCO_CUDA_ATTN_BWD=wgmma2-tma)
};

template <int HD>
static bool run_case(int B, int Tn, int H, bool inject, std::string& json, Variant variant = {}) {
  const bool rope = variant.rope, fused = variant.fused, wide = variant.wide, rope_out = variant.rope_out,
             partials = variant.partials, atomic = variant.atomic, wg = variant.wgmma, wg_sync = variant.wgmma_sync,
             wg_fwd = variant.wgmma_fwd;
  const int wgs = variant.wgs;
  const int d = H * HD;
  const size_t BT = (size_t)B * Tn;
  std::mt19937 rng(HD * 1000 + Tn);
  std::normal_distribution<float> nd(0.f, 1.f);
  // bf16-rounded inputs, kept as doubles for the reference
  std::vector<double> q(BT * d), k(BT * d), v(BT * d), dy(BT * d);
  std::vector<bf16> qkv(BT * 3 * d), dyb(BT * d);
  for (size_t r = 0; r < BT; r++)
    for (int j = 0; j < d; j++) {
      const float a = round_bf16(nd(rng)), b = round_bf16(nd(rng)), c = round_bf16(nd(rng)), e = round_bf16(nd(rng));
      q[r * d + j] = a; k[r * d + j] = b; v[r * d + j] = c; dy[r * d + j] = e;
      qkv[r * 3 * d + j] = __float2bfloat16(a);
      qkv[r * 3 * d + d + j] = __float2bfloat16(b);
      qkv[r * 3 * d + 2 * d + j] = __float2bfloat16(c);
      dyb[r * d + j] = __float2bfloat16(e);
    }
  // RoPE fused into the kernels: the kernels get q, k unrotated; the reference
  // rotates them first (same fp32 tables as the CUDA backend's configure()) and rotates dq, dk back
  const int half = HD / 2;
  std::vector<float> cs, sn;
  rope_tables(Tn, HD, 10000.0, cs, sn);
  auto rotate = [&](std::vector<double>& x, double sign) {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < Tn; t++)
        for (int h = 0; h < H; h++) {
          double* u = &x[((size_t)b * Tn + t) * d + h * HD];
          for (int i = 0; i < half; i++) {
            const double c = cs[(size_t)t * half + i], sv = sign * sn[(size_t)t * half + i];
            const double a = u[i], bb = u[i + half];
            u[i] = a * c - bb * sv;
            u[i + half] = bb * c + a * sv;
          }
        }
  };
  if (rope || rope_out) {  // the kernels round the rotated q, k to bf16 in shared memory, as k_rope does in qkv
    rotate(q, 1.0);
    rotate(k, 1.0);
    for (auto* x : {&q, &k})
      for (double& e : *x) e = round_bf16((float)e);
  }
  if (rope_out)  // k_rope's output: qkv holds the rotated, rounded q, k
    for (size_t r = 0; r < BT; r++)
      for (int j = 0; j < d; j++) {
        qkv[r * 3 * d + j] = __float2bfloat16((float)q[r * d + j]);
        qkv[r * 3 * d + d + j] = __float2bfloat16((float)k[r * d + j]);
      }
  const float* rcs = rope || rope_out ? cs.data() : nullptr;
  const float* rsn = rope || rope_out ? sn.data() : nullptr;
  // reference: the CPU engine's attention in double
  std::vector<double> yref(BT * d), att((size_t)B * H * Tn * Tn), dq(BT * d), dk(BT * d), dv(BT * d);
  attention_forward<double>(yref.data(), att.data(), q.data(), k.data(), v.data(), B, Tn, H, HD);
  attention_backward<double>(dq.data(), dk.data(), dv.data(), dy.data(), att.data(), q.data(), k.data(), v.data(), B,
                             Tn, H, HD);
  if (rope || rope_out) {
    rotate(dq, -1.0);
    rotate(dk, -1.0);
  }
  std::vector<double> lseref(BT * H);
  const double scale = 1.0 / std::sqrt((double)HD);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < Tn; i++) {
        double mx = -INFINITY;
        std::vector<double> s(i + 1);
        for (int j = 0; j <= i; j++) {
          double acc = 0;
          for (int c = 0; c < HD; c++) acc += q[((size_t)b * Tn + i) * d + h * HD + c] * k[((size_t)b * Tn + j) * d + h * HD + c];
          s[j] = acc * scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; j++) sum += std::exp(s[j] - mx);
        lseref[((size_t)b * H + h) * Tn + i] = mx + std::log(sum);
      }
  // the kernels
  std::vector<bf16> y(BT * d), dqkv(BT * 3 * d, __float2bfloat16(0.f));
  std::vector<float> lse(BT * H), D(BT * H);
  const float sl = 1.4426950408889634f / std::sqrt((float)HD), sc = 1.0f / std::sqrt((float)HD);
  using S2 = attn_tc2::Shape<HD>;
  using W = attn_tc2::Wide<HD>;
  const unsigned gx = cdiv(Tn, S2::BR), gy = B * H;
  const unsigned gx_fwd = cdiv(Tn, S2::rows(wide ? W::FWD_MT : 1));
  const unsigned gx_dkv = cdiv(Tn, S2::rows(wide ? W::DKV_MT : 1));
  const unsigned gx_dq = cdiv(Tn, S2::rows(wide ? W::DQ_MT : 1));
  const int nt = S2::NT;
  // the TMA kernels' maps of qkv and dy (attention_tc2.cu's qkv_map, dy_map: [B, Tn, cols] bf16)
  auto bf16_map = [&](const bf16* base, uint64_t cols) {
    return attn_tc2::TmaMap{base, {cols, (uint64_t)Tn, (uint64_t)B}, {cols * 2, (uint64_t)Tn * cols * 2}, {64, 64}};
  };
  const attn_tc2::TmaMap qkv_map = bf16_map(qkv.data(), 3 * (uint64_t)d), dy_map = bf16_map(dyb.data(), d);
  bool fwd_done = false;
  if constexpr (HD == 64 || HD == 128)
    if (wg_fwd) {
      using namespace attn_tc2;
      if (variant.keys128 && wgs != 2) throw std::runtime_error("the 128-key forward has two warpgroups");
      if (variant.areg && (wgs != 2 || variant.keys128)) throw std::runtime_error("Q in registers: the 64-key forward with two warpgroups");
      if (variant.pingpong && (wgs != 2 || (variant.keys128 && !variant.tma) || (variant.areg && !variant.swizzle))) throw std::runtime_error("the ping-pong forward: 64-key tiles (128 with TMA), two warpgroups (with Q in registers: swizzled)");
      if (variant.producer && (!variant.pingpong || variant.areg)) throw std::runtime_error("the producer warpgroup: with the ping-pong forward, Q from shared memory");
      if (variant.tma && !(variant.producer && variant.swizzle)) throw std::runtime_error("TMA: the producer warpgroup's copies, swizzled");
      auto fwd = variant.producer ? (variant.swizzle ? attn3_fwd_kernel<HD, 2, true, true, 64, false, true, true> : attn3_fwd_kernel<HD, 2, true, false, 64, false, true, true>)
                 : variant.pingpong ? (variant.areg ? attn3_fwd_kernel<HD, 2, true, true, 64, true, true>
                                     : variant.swizzle ? attn3_fwd_kernel<HD, 2, true, true, 64, false, true> : attn3_fwd_kernel<HD, 2, true, false, 64, false, true>)
                 : variant.areg ? (variant.swizzle ? attn3_fwd_kernel<HD, 2, true, true, 64, true> : attn3_fwd_kernel<HD, 2, true, false, 64, true>)
                 : variant.keys128 ? (variant.swizzle ? attn3_fwd_kernel<HD, 2, true, true, 128> : attn3_fwd_kernel<HD, 2, true, false, 128>)
                 : variant.swizzle ? (wgs == 2 ? attn3_fwd_kernel<HD, 2, true, true> : attn3_fwd_kernel<HD, 1, true, true>)
                 : wgs == 2      ? attn3_fwd_kernel<HD, 2, true>
                 : wg_sync       ? attn3_fwd_kernel<HD, 1, false>
                                 : attn3_fwd_kernel<HD, 1, true>;
      launch(cdiv(Tn, 64 * wgs), gy, [&] {
        if (variant.tma && variant.keys128) attn3_fwd_tma_kernel<HD, 128>(y.data(), lse.data(), qkv_map, Tn, H, sl);
        else if (variant.tma) attn3_fwd_tma_kernel<HD>(y.data(), lse.data(), qkv_map, Tn, H, sl);
        else fwd(y.data(), lse.data(), qkv.data(), Tn, H, sl);
      }, 128 * wgs + (variant.producer ? 128 : 0));
      fwd_done = true;
    }
  if (!fwd_done) launch(gx_fwd, gy, [&] {
    if (rope) attn_tc2::attn2_fwd_kernel<HD, true>(y.data(), lse.data(), qkv.data(), Tn, H, sl, rcs, rsn);
    else if (wide)
      attn_tc2::attn2_fwd_kernel<HD, false, W::FWD_MT, W::FWD_TK>(y.data(), lse.data(), qkv.data(), Tn, H, sl, nullptr,
                                                                  nullptr);
    else attn_tc2::attn2_fwd_kernel<HD, false>(y.data(), lse.data(), qkv.data(), Tn, H, sl, nullptr, nullptr);
  }, nt);
  for (int b = 0; b < B; b++)  // D = Σ dy·y per row (attn_bwd_pre_kernel)
    for (int t = 0; t < Tn; t++)
      for (int h = 0; h < H; h++) {
        float acc = 0;
        for (int c = 0; c < HD; c++) {
          const size_t o = ((size_t)b * Tn + t) * d + h * HD + c;
          acc += __bfloat162float(dyb[o]) * __bfloat162float(y[o]);
        }
        D[((size_t)b * H + h) * Tn + t] = acc;
      }
  // the dQ finish and reduce kernels (8 elements a thread, 256 a block) have no barriers: one host
  // thread runs every thread of them in turn
  auto dq_rows_kernel = [&](const std::function<void()>& body) {
    blockDim = EmuDim{256, 1, 1};
    for (unsigned bx = 0; bx * 256 * 8 < BT * d; bx++)
      for (unsigned tx = 0; tx < 256; tx++) {
        blockIdx = EmuDim{bx, 0, 0};
        threadIdx = EmuDim{tx, 0, 0};
        body();
      }
  };
  if constexpr (HD == 64 || HD == 128) {
    if (wg) {  // the wgmma dK/dV and dQ kernels
      using namespace attn_tc2;
      // (the swizzled backward exists with two warpgroups: LOCO_CUDA_ATTN_BWD=wgmma2-sw)
      const bool bwd_sw = variant.swizzle && wgs == 2;
      constexpr bool AREG = HD == 64;  // (the backward holds its A operands in registers at head_dim 64 only)
      if (variant.areg && (wgs != 2 || HD != 64)) throw std::runtime_error("the backward's A operands in registers: head_dim 64, two warpgroups");
      if (variant.mbar_bwd && (wgs != 2 || variant.areg || atomic)) throw std::runtime_error("the mbarrier backward: two warpgroups, A from shared memory, without dQ");
      auto dkv = variant.mbar_bwd ? (bwd_sw ? attn3_bwd_dkv_kernel<HD, true, 2, true, false, false, true> : attn3_bwd_dkv_kernel<HD, true, 2, false, false, false, true>)
                 : variant.areg ? (bwd_sw ? attn3_bwd_dkv_kernel<HD, true, 2, true, false, AREG> : attn3_bwd_dkv_kernel<HD, true, 2, false, false, AREG>)
                 : bwd_sw     ? attn3_bwd_dkv_kernel<HD, true, 2, true>
                 : wgs == 2 ? attn3_bwd_dkv_kernel<HD, true, 2>
                 : wg_sync  ? attn3_bwd_dkv_kernel<HD, false, 1>
                            : attn3_bwd_dkv_kernel<HD, true, 1>;
      auto dqk = variant.mbar_bwd ? (bwd_sw ? attn3_bwd_dq_kernel<HD, true, 2, true, false, true> : attn3_bwd_dq_kernel<HD, true, 2, false, false, true>)
                 : variant.areg ? (bwd_sw ? attn3_bwd_dq_kernel<HD, true, 2, true, AREG> : attn3_bwd_dq_kernel<HD, true, 2, false, AREG>)
                 : bwd_sw     ? attn3_bwd_dq_kernel<HD, true, 2, true>
                 : wgs == 2 ? attn3_bwd_dq_kernel<HD, true, 2>
                 : wg_sync  ? attn3_bwd_dq_kernel<HD, false, 1>
                            : attn3_bwd_dq_kernel<HD, true, 1>;
      if (atomic) {  // the fused kernel (two warpgroups), dQ into the zeroed accumulator, then the finish
        if (wgs != 2) throw std::runtime_error("the fused wgmma backward has two warpgroups");
        if (variant.swizzle && HD != 128) throw std::runtime_error("the swizzled fused wgmma backward is head_dim 128's");
        if (variant.areg && variant.swizzle) throw std::runtime_error("the fused wgmma backward with K, V in registers is unswizzled");
        auto fused = variant.areg    ? attn3_bwd_dkv_kernel<HD, true, 2, false, true, AREG>
                     : variant.swizzle ? attn3_bwd_dkv_kernel<HD, true, 2, HD == 128, true>
                                       : attn3_bwd_dkv_kernel<HD, true, 2, false, true>;
        std::vector<float> dq_acc(BT * d, 0.f);
        launch(cdiv(Tn, 128), gy, [&] {
          fused(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, dq_acc.data());
        }, 256);
        dq_rows_kernel([&] { attn2_dq_finish_kernel<HD>(dqkv.data(), dq_acc.data(), BT, d, sc); });
      } else if (variant.tma) {  // (LOCO_CUDA_ATTN_BWD=wgmma2-tma: qkv and dy through maps)
        if (!variant.mbar_bwd || !variant.swizzle || wgs != 2 || variant.areg) throw std::runtime_error("the TMA backward: wgmma2-mb-sw's");
        launch(cdiv(Tn, 128), gy, [&] { attn3_bwd_dkv_tma_kernel<HD>(dqkv.data(), qkv_map, dy_map, lse.data(), D.data(), Tn, H, sc, sl); }, 256);
        launch(cdiv(Tn, 128), gy, [&] { attn3_bwd_dq_tma_kernel<HD>(dqkv.data(), qkv_map, dy_map, lse.data(), D.data(), Tn, H, sc, sl); }, 256);
      } else {
        launch(cdiv(Tn, 64 * wgs), gy, [&] { dkv(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, nullptr); }, 128 * wgs);
        launch(cdiv(Tn, 64 * wgs), gy, [&] { dqk(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl); }, 128 * wgs);
      }
    }
  }
  if (wg) {
  } else if (fused && atomic) {
    std::vector<float> dq_acc(BT * d, 0.f);  // zeroed, as zeroed_dq_scratch does
    launch(gx, gy, [&] {
      attn_tc2::attn2_bwd_dkv_kernel<HD, attn_tc2::ROPE_NONE, attn_tc2::DQ_ATOMIC>(
          dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, nullptr, nullptr, dq_acc.data());
    }, nt);
    dq_rows_kernel([&] { attn_tc2::attn2_dq_finish_kernel<HD>(dqkv.data(), dq_acc.data(), BT, d, sc); });
  } else if (fused && partials) {
    // partials nobody writes stay NaN: the reduce must read only those of key blocks that see the query
    const size_t nkb = cdiv(Tn, S2::BR);
    std::vector<float> part(nkb * BT * d, NAN);
    launch(gx, gy, [&] {
      attn_tc2::attn2_bwd_dkv_kernel<HD, attn_tc2::ROPE_NONE, attn_tc2::DQ_PARTIALS>(
          dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, nullptr, nullptr, part.data());
    }, nt);
    dq_rows_kernel([&] { attn_tc2::attn2_dq_reduce_kernel<HD>(dqkv.data(), part.data(), BT, Tn, d, sc); });
  } else if (fused) {
    // the accumulator starts as NaN: key block 0 must store, not add
    std::vector<float> dq_acc(BT * d, NAN);
    const int nq = (Tn + attn_tc2::TK - 1) / attn_tc2::TK;
    std::vector<int> sem((size_t)B * H * nq + 1, 0);
    launch(gx * gy, 1, [&] {
      attn_tc2::attn2_bwd_dkv_kernel<HD, false, true>(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc,
                                                       sl, nullptr, nullptr, dq_acc.data(), sem.data(),
                                                       sem.data() + (size_t)B * H * nq);
    }, nt);
    for (size_t i = 0; i + 1 < sem.size(); i++)
      if (sem[i] != (int)(i % nq) + 1) {  // query tile qt has had qt + 1 key blocks add to it
        fprintf(stderr, "attention-tc-emu: counter %zu is %d\n", i, sem[i]);
        return false;
      }
    dq_rows_kernel([&] { attn_tc2::attn2_dq_finish_kernel<HD>(dqkv.data(), dq_acc.data(), BT, d, sc); });
  } else {
    using namespace attn_tc2;
    constexpr int R_OUT = ROPE_OUT;
    auto dkv_kernel = rope ? attn2_bwd_dkv_kernel<HD, ROPE_FULL>
                      : rope_out ? (wide ? attn2_bwd_dkv_kernel<HD, R_OUT, false, W::DKV_MT, W::DKV_TK>
                                         : attn2_bwd_dkv_kernel<HD, R_OUT>)
                      : wide ? attn2_bwd_dkv_kernel<HD, ROPE_NONE, false, W::DKV_MT, W::DKV_TK>
                             : attn2_bwd_dkv_kernel<HD, ROPE_NONE>;
    auto dq_kernel = rope ? attn2_bwd_dq_kernel<HD, ROPE_FULL>
                     : rope_out ? (wide ? attn2_bwd_dq_kernel<HD, R_OUT, W::DQ_MT, W::DQ_TK> : attn2_bwd_dq_kernel<HD, R_OUT>)
                     : wide ? attn2_bwd_dq_kernel<HD, ROPE_NONE, W::DQ_MT, W::DQ_TK>
                            : attn2_bwd_dq_kernel<HD, ROPE_NONE>;
    launch(gx_dkv, gy, [&] { dkv_kernel(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, rcs, rsn, nullptr, nullptr, nullptr); }, nt);
    launch(gx_dq, gy, [&] { dq_kernel(dqkv.data(), qkv.data(), dyb.data(), lse.data(), D.data(), Tn, H, sc, sl, rcs, rsn); }, nt);
  }
  std::vector<double> yo(BT * d), go[3], lo(lse.begin(), lse.end());
  for (int p = 0; p < 3; p++) go[p].resize(BT * d);
  for (size_t r = 0; r < BT; r++)
    for (int j = 0; j < d; j++) {
      yo[r * d + j] = __bfloat162float(y[r * d + j]);
      for (int p = 0; p < 3; p++) go[p][r * d + j] = __bfloat162float(dqkv[r * 3 * d + p * d + j]);
    }
  if (inject) go[1][5] += 0.5;  // one wrong element of dk
  double lse_abs = 0;
  for (size_t i = 0; i < lo.size(); i++) lse_abs = std::max(lse_abs, std::fabs(lo[i] - lseref[i]));
  const double ey = rel_err(yo, yref), eq = rel_err(go[0], dq), ek = rel_err(go[1], dk), ev = rel_err(go[2], dv);
  const bool ok = ey <= 1e-2 && lse_abs <= 1e-2 && eq <= 2e-2 && ek <= 2e-2 && ev <= 2e-2;
  uint64_t sum = FNV1A_BASIS;  // the outputs' checksum (fnv1a.h)
  sum = fnv1a(sum, y.data(), y.size() * sizeof(bf16));
  sum = fnv1a(sum, lse.data(), lse.size() * sizeof(float));
  sum = fnv1a(sum, dqkv.data(), dqkv.size() * sizeof(bf16));
  uint64_t dkv_sum = FNV1A_BASIS;  // dk and dv alone (the fused wgmma backward: the two-warpgroup kernel's)
  for (size_t r = 0; r < BT; r++) dkv_sum = fnv1a(dkv_sum, dqkv.data() + r * 3 * d + d, 2 * d * sizeof(bf16));
  // an error that is not a finite number (a kernel that read garbage: --inject-hazard) is null in JSON
  auto num = [](double v) {
    char b[32];
    if (!std::isfinite(v)) return std::string("null");
    snprintf(b, sizeof b, "%.3g", v);
    return std::string(b);
  };
  char buf[1200];
  snprintf(buf, sizeof buf,
           "{\"rope\":%s,\"rope_out\":%s,\"fused_bwd\":%s,\"dq_partials\":%s,\"dq_atomic\":%s,\"wgmma_bwd\":%s,\"wgmma_sync\":%s,\"wgmma_fwd\":%s,\"wgmma_groups\":%d,\"swizzle\":%s,\"keys128\":%s,\"areg\":%s,\"pingpong\":%s,\"mbar_bwd\":%s,\"producer\":%s,\"tma\":%s,\"rows_per_warp\":%d,\"B\":%d,\"T\":%d,\"H\":%d,\"head_dim\":%d,\"y_rel\":%s,\"lse_max_abs\":%s,\"dq_rel\":%s,"
           "\"dk_rel\":%s,\"dv_rel\":%s,\"output_fnv1a\":\"%016llx\",\"dkv_fnv1a\":\"%016llx\",\"ok\":%s}",
           rope ? "true" : "false", rope_out ? "true" : "false", fused ? "true" : "false", partials ? "true" : "false", atomic ? "true" : "false", wg ? "true" : "false", wg_sync ? "true" : "false", wg_fwd ? "true" : "false", wgs, variant.swizzle ? "true" : "false", variant.keys128 ? "true" : "false", variant.areg ? "true" : "false", variant.pingpong ? "true" : "false", variant.mbar_bwd ? "true" : "false", variant.producer ? "true" : "false", variant.tma ? "true" : "false", wide ? 32 : 16, B, Tn, H, HD,
           num(ey).c_str(), num(lse_abs).c_str(), num(eq).c_str(), num(ek).c_str(), num(ev).c_str(), (unsigned long long)sum,
           (unsigned long long)dkv_sum, ok ? "true" : "false");
  json = buf;
  return ok;
}

int main(int argc, char** argv) {
  bool inject = false, hazard = false;
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) == "--inject-bug") inject = true;
    if (std::string(argv[i]) == "--inject-hazard") hazard = true;
  }
  attn_tc2::g_weaker_waits = hazard;
  bool ok = true;
  std::string all, one;
  auto add = [&](bool r) { ok = ok && r; all += (all.empty() ? "" : ",") + one; };
  if (inject) {  // only the case with the injected error
    add(run_case<64>(1, 100, 1, true, one));
  } else if (hazard) {  // the wgmma cases below, overlapped then waiting
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_fwd = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_sync = true, .wgmma_fwd = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_sync = true, .wgmma_fwd = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    // (the fused backward after the default forward, so that its own waits are what fails)
    add(run_case<128>(1, 200, 1, false, one, {.atomic = true, .wgmma = true, .wgs = 2}));
    add(run_case<128>(1, 300, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .areg = true}));
    add(run_case<64>(2, 260, 2, false, one, {.atomic = true, .wgmma = true, .wgs = 2, .areg = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma = true, .wgs = 2, .mbar_bwd = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true, .producer = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true, .tma = true}));
  } else {
    add(run_case<16>(2, 130, 1, false, one));  // three query/key tiles, the last partial; two sequences
    add(run_case<32>(1, 77, 2, false, one));   // two heads
    add(run_case<64>(1, 100, 1, false, one));
    add(run_case<128>(1, 200, 1, false, one));  // two 128-row blocks (the 32-row case below)
    add(run_case<64>(1, 300, 2, false, one));  // three 128-row blocks (the 32-row case below)
    // RoPE fused into the kernels; four 64-row blocks and tiles, ending mid-tile
    add(run_case<64>(1, 200, 2, false, one, {.rope = true}));
    add(run_case<128>(1, 130, 1, false, one, {.rope = true}));
    // the fused backward: several heads and sequences (the counters are per head and tile), ends mid-tile
    add(run_case<16>(2, 130, 1, false, one, {.fused = true}));
    add(run_case<32>(1, 77, 2, false, one, {.fused = true}));
    add(run_case<64>(1, 200, 2, false, one, {.fused = true}));
    add(run_case<128>(1, 130, 2, false, one, {.fused = true}));
    // 32 rows per warp: 128-row blocks, 32-row backward tiles (64 at head_dim 16), a last block
    // whose later warps or m-tiles start past the end (T = 77: one warp has no row, one m-tile is
    // half past the end); at head_dim 128 the dK/dV kernel stays at 16 rows. Every sum runs in the
    // same order as with 16 rows (the forward's key tiles are 64 either way; the backward's products
    // add 16 rows at a time, in order, whatever the tile), so these outputs must equal the 16-row
    // cases' bit for bit (test/kernels-attention-tc-emu.test.ts)
    add(run_case<16>(2, 130, 1, false, one, {.wide = true}));
    add(run_case<32>(1, 77, 2, false, one, {.wide = true}));
    add(run_case<64>(1, 300, 2, false, one, {.wide = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wide = true}));
    // RoPE undone on dq, dk in the backward kernels' epilogue (ROPE_OUT): 16 rows at head_dim 64
    // (three 64-row blocks, the last partial), and the 32-row dQ at head_dim 128 (1b's default shapes)
    add(run_case<64>(1, 130, 1, false, one, {.rope_out = true}));
    add(run_case<128>(1, 130, 1, false, one, {.wide = true, .rope_out = true}));
    // dQ as partials added by a reduce kernel: the same shapes as the fused cases above, whose
    // outputs they must equal bit for bit (the same sums in the same order)
    add(run_case<64>(1, 200, 2, false, one, {.fused = true, .partials = true}));
    add(run_case<128>(1, 130, 2, false, one, {.fused = true, .partials = true}));
    // ... and added by atomic adds, blocks here in key-block order: the same sums again
    add(run_case<64>(1, 200, 2, false, one, {.fused = true, .atomic = true}));
    add(run_case<128>(1, 130, 2, false, one, {.fused = true, .atomic = true}));
    // the forward and backward on warpgroup MMA (emulated on the layouts wgmma-probe checks on a GPU):
    // five tiles, the last ending mid-tile, two heads and two sequences, and two of the default
    // cases' shapes — whose outputs they equal bit for bit here, since the emulated wgmma adds the
    // same products in the same order as the emulated mma.sync (a GPU's tensor cores need not)
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma = true, .wgmma_fwd = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_fwd = true}));
    // the same shapes with the waiting schedules (wgmma-sync: a wait after each batch of products, the
    // forward's softmax after its products): the same sums in the same order, so the same bits as above
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_sync = true, .wgmma_fwd = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_sync = true, .wgmma_fwd = true}));
    // two warpgroups (128 rows) per block (wgmma2), the same shapes, so the same bits: T = 260, the last
    // block's second warpgroup has no row at all; T = 100, one block, whose first warpgroup skips the
    // forward's and dQ's last key tile and whose second the dK/dV kernel's first query tile; T = 200,
    // the second block's second warpgroup ends mid-tile
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    // the tiles in the 128-byte swizzle: the forward with one warpgroup, and forward and backward with
    // two (wgmma-sw, wgmma2-sw): the same values in other places of shared memory, so the same bits again
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .swizzle = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .swizzle = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .swizzle = true}));
    // the fused wgmma backward (dQ by atomic adds from the dK/dV kernel; blocks here in order): the
    // two-warpgroup shapes above, whose dK and dV it must give bit for bit; its dQ sums per key block
    add(run_case<64>(2, 260, 2, false, one, {.atomic = true, .wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    add(run_case<64>(1, 100, 1, false, one, {.atomic = true, .wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    add(run_case<128>(1, 200, 1, false, one, {.atomic = true, .wgmma = true, .wgmma_fwd = true, .wgs = 2}));
    // ... with the tiles in the 128-byte swizzle (head_dim 128; the forward too): the same bits again
    add(run_case<128>(1, 200, 1, false, one, {.atomic = true, .wgmma = true, .wgmma_fwd = true, .wgs = 2, .swizzle = true}));
    // the forward's 128-key tiles (wgmma2-k128): three key tiles, the last partial, with two heads
    // and sequences; one block of 100 whose second warpgroup has no row; and 300 at head_dim 128,
    // whose third block sees three key tiles, the last partial (the backward: the default kernels)
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    add(run_case<128>(1, 300, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    // ... with the tiles in the 128-byte swizzle (K and V in 128-row atom columns): the same bits
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true}));
    add(run_case<128>(1, 300, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true}));
    // the score products' A operands held in registers (wgmma2-areg): the two-warpgroup shapes above,
    // the forward at both head dims and the backward at head_dim 64, unswizzled and swizzled, and the
    // fused backward (wgmma2-atomic-areg): the same products from registers, so the same bits as the
    // cases without (at head_dim 128 the backward is the default's, as the engine runs it there)
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .areg = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .areg = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .areg = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .swizzle = true, .areg = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .areg = true}));
    add(run_case<64>(2, 260, 2, false, one, {.atomic = true, .wgmma = true, .wgmma_fwd = true, .wgs = 2, .areg = true}));
    // the forward's stages handed over by mbarriers, its warpgroups' products in turns (wgmma2-pp):
    // the two-warpgroup shapes above (T = 260: five key tiles, so every stage is refilled after its
    // empty phase; T = 100: one block whose first warpgroup has an empty last turn), and T = 200 at
    // head_dim 128, swizzled too — the same sums as wgmma2, so the same bits. With four stages a
    // stage is refilled from the fifth key tile on: T = 520 (nine tiles) and, at head_dim 128, 330
    // (six), each beside the two-warpgroup forward without mbarriers
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true}));
    add(run_case<128>(1, 200, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma_fwd = true, .wgs = 2}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true}));
    // ... with Q in registers too (wgmma2-pp-areg-sw)
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .areg = true, .pingpong = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .areg = true, .pingpong = true}));
    // ... with a producer warpgroup issuing every copy (wgmma2-ws, 384 threads): consumers wait on
    // full, the producer on empty (four stages: refilled from the fifth tile, T = 520 and 330)
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true, .producer = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .pingpong = true, .producer = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true}));
    // ... its copies TMA boxes issued by one thread (wgmma2-tma): the swizzled layout written by the
    // emulated TMA (zeros past the end: T = 100 and 330 end mid-tile, and at T = 100 the second
    // warpgroup's Q box lies wholly past the end), refilled stages (T = 520, 330); two sequences and
    // heads (T = 260), whose boxes must not cross into the next sequence
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .pingpong = true, .producer = true, .tma = true}));
    // ... on 128-key tiles (wgmma2-tma-k128; three stages): the 128-key forward's bits at its shapes
    // (two sequences and heads, T = 260; T = 100, one block; 300 at head_dim 128), and with stages
    // refilled (T = 520: five tiles), beside the 128-key forward without mbarriers
    add(run_case<64>(2, 260, 2, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<128>(1, 300, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    add(run_case<128>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .keys128 = true}));
    add(run_case<128>(1, 520, 1, false, one, {.wgmma_fwd = true, .wgs = 2, .swizzle = true, .keys128 = true, .pingpong = true, .producer = true, .tma = true}));
    // the backward's stages handed over by mbarriers (wgmma2-mb; four stages, so a stage is refilled
    // from the fifth tile on): T = 260 and 520 at head_dim 64, 330 at 128 (swizzled too), beside the
    // two-warpgroup backward without mbarriers: the same sums, so the same bits
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgmma_fwd = true, .wgs = 2, .mbar_bwd = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma = true, .wgs = 2}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma = true, .wgs = 2, .mbar_bwd = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma = true, .wgs = 2}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma = true, .wgs = 2, .mbar_bwd = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true}));
    // ... its tiles TMA boxes issued by thread 0 (wgmma2-tma; lse and D still cp.async): the same
    // bits again, at T = 260 with two sequences and heads, 520 (stages refilled) and 100 (one block,
    // whose second warpgroup's keys and queries lie past the end) at head_dim 64, and 330 at 128
    add(run_case<64>(2, 260, 2, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true, .tma = true}));
    add(run_case<64>(1, 520, 1, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true, .tma = true}));
    add(run_case<64>(1, 100, 1, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true, .tma = true}));
    add(run_case<128>(1, 330, 1, false, one, {.wgmma = true, .wgs = 2, .swizzle = true, .mbar_bwd = true, .tma = true}));
  }
  printf("{\"tool\":\"attention-tc-emu\",\"cases\":[%s],\"ok\":%s}\n", all.c_str(), ok ? "true" : "false");
  return ok ? 0 : 1;
}
