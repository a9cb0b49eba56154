// Cooperative CUDA threads for the CPU emulators of kernels (test/attention_tc_emu.cpp,
// test/kernels_emu.cpp): one fiber per thread of a block, all on the calling OS thread, switched
// only at barriers (__syncthreads, cluster syncs, and the warp barriers behind emulated shuffles, mma
// and ldmatrix). The emulators first ran one std::thread per CUDA thread with futex barriers: every
// barrier cost each thread a sleep and a wake-up in the kernel, and on the 2-core CI machine, beside
// other tests, a run took 4-7× its idle time. Fibers cross a barrier with user-space context
// switches (ucontext), use one core, and run a block's threads in a fixed order, so a run is
// deterministic: attention-tc-emu's 24 cases took 56 s idle against 82 s with threads (2026-11-26,
// this machine).
//
//   EmuFibers f;
//   f.set_barrier(id, n)  // barrier `id` (0 … MAX_BARRIERS-1) has n participants (before run)
//   f.run(128, [](int t) { ... body of thread t ... });   // returns when all returned
//   f.barrier(id)          // inside a body: wait until every participant of `id` arrived
//   f.drop(id)             // a participant leaves (a thread that exited): later phases wait for
//                          // one fewer, and the current one completes if the others are in
//
// A barrier that can never complete (some fiber returned or waits elsewhere) is a deadlock in the
// kernel: it is reported and the process aborts.
#pragma once
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

class EmuFibers {
 public:
  static constexpr size_t STACK = 256 * 1024;  // the kernels' locals are a few KB; the emulator's helpers more
  static constexpr int MAX_BARRIERS = 96;      // ids 0 … 95 (blocks, warps, a cluster: the caller's numbering)

  // Called before a fiber runs or resumes, with its index (the emulator sets threadIdx from it).
  void (*on_resume)(int) = nullptr;

  void run(int n, const std::function<void(int)>& body) {
    body_ = &body;
    n_ = n;
    while ((int)fibers_.size() < n) fibers_.push_back(std::make_unique<Fiber>());
    for (int i = 0; i < n; i++) {
      Fiber& f = *fibers_[i];
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = f.stack.get();
      f.ctx.uc_stack.ss_size = STACK;
      f.ctx.uc_link = &main_;
      makecontext(&f.ctx, reinterpret_cast<void (*)()>(&EmuFibers::entry), 2, (int)(reinterpret_cast<uintptr_t>(this) >> 32),
                  (int)(reinterpret_cast<uintptr_t>(this) & 0xffffffffu));
      f.state = READY;
      f.wait_id = -1;
    }
    int live = n;
    cur_ = -1;
    while (live > 0) {
      const int next = pick(cur_);
      if (next < 0) {
        fprintf(stderr, "emulator: deadlock: %d threads wait at barriers that cannot complete\n", live);
        std::abort();
      }
      cur_ = next;
      if (on_resume) on_resume(cur_);
      swapcontext(&main_, &fibers_[cur_]->ctx);
      if (fibers_[cur_]->state == DONE) live--;
    }
    cur_ = -1;
  }

  void set_barrier(int id, int participants) {
    participants_[id] = participants;
    arrived_[id] = 0;
  }
  void barrier(int id) {
    if (++arrived_[id] >= participants_[id]) {  // the last to arrive releases the others and runs on
      release(id);
      return;
    }
    Fiber& f = *fibers_[cur_];
    f.state = WAITING;
    f.wait_id = id;
    const int me = cur_;
    swapcontext(&f.ctx, &main_);
    cur_ = me;  // (run() resumed this fiber and set cur_ already; kept for clarity)
  }

  void drop(int id) {
    participants_[id]--;
    if (arrived_[id] > 0 && arrived_[id] >= participants_[id]) release(id);
  }

  int current() const { return cur_; }

 private:
  enum State { READY, WAITING, DONE };
  struct Fiber {
    ucontext_t ctx{};
    std::unique_ptr<char[]> stack{new char[STACK]};
    State state = READY;
    int wait_id = -1;
  };
  // makecontext passes ints: the object's address in two halves
  static void entry(int hi, int lo) {
    auto* self = reinterpret_cast<EmuFibers*>((static_cast<uintptr_t>(static_cast<unsigned>(hi)) << 32) |
                                              static_cast<uintptr_t>(static_cast<unsigned>(lo)));
    const int me = self->cur_;
    (*self->body_)(me);
    self->fibers_[me]->state = DONE;  // returns to main_ (uc_link)
  }
  void release(int id) {
    arrived_[id] = 0;
    for (int i = 0; i < n_; i++)
      if (fibers_[i]->state == WAITING && fibers_[i]->wait_id == id) fibers_[i]->state = READY, fibers_[i]->wait_id = -1;
  }
  // the next ready fiber after `from`, round robin; -1 if none
  int pick(int from) const {
    for (int k = 1; k <= n_; k++) {
      const int i = (from + k + n_) % n_;
      if (fibers_[i]->state == READY) return i;
    }
    return -1;
  }

  std::vector<std::unique_ptr<Fiber>> fibers_;
  const std::function<void(int)>* body_ = nullptr;
  ucontext_t main_{};
  int n_ = 0, cur_ = -1;
  int arrived_[MAX_BARRIERS] = {}, participants_[MAX_BARRIERS] = {};
};
