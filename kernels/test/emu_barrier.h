// A barrier for the CPU emulators of CUDA kernels (test/attention_tc_emu.cpp, test/kernels_emu.cpp):
// one std::thread per CUDA thread means hundreds of threads on a 2-core machine, where std::barrier
// spun long enough that a run under load (CI, tests in parallel) was 10× slower than idle. This one
// counts arrivals with an atomic and parks the waiters on the phase word (futex), with no mutex for
// them to queue on when they wake.
#pragma once
#include <atomic>
#include <cstddef>

class EmuBarrier {
 public:
  explicit EmuBarrier(std::ptrdiff_t n) : n_(n), left_(n) {}
  void arrive_and_wait() {
    const unsigned gen = gen_.load(std::memory_order_acquire);
    if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      next_phase();
      return;
    }
    while (gen_.load(std::memory_order_acquire) == gen) gen_.wait(gen, std::memory_order_acquire);
  }
  // arrives for the current phase and leaves: later phases wait for one thread fewer
  void arrive_and_drop() {
    n_.fetch_sub(1, std::memory_order_acq_rel);
    if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) next_phase();
  }
  // back to n participants; only while no thread is inside arrive_*
  void reset(std::ptrdiff_t n) {
    n_.store(n);
    left_.store(n);
  }

 private:
  void next_phase() {
    left_.store(n_.load(std::memory_order_acquire), std::memory_order_release);
    gen_.fetch_add(1, std::memory_order_acq_rel);
    gen_.notify_all();
  }
  std::atomic<std::ptrdiff_t> n_, left_;
  std::atomic<unsigned> gen_{0};
};
