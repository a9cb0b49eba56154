// Cooperative CUDA threads for the CPU emulators of kernels (test/attention_tc_emu.cpp,
// test/kernels_emu.cpp): one fiber per thread of a block, all on the calling OS thread, switched
// only at barriers (__syncthreads, cluster syncs, and the warp barriers behind emulated shuffles, mma
// and ldmatrix). The emulators first ran one std::thread per CUDA thread with futex barriers: every
// barrier cost each thread a sleep and a wake-up in the kernel, and on the 2-core CI machine, beside
// other tests, a run took 4-7× its idle time. Fibers cross a barrier with user-space context
// switches, use one core, and run a block's threads in a fixed order, so a run is deterministic.
// The switch saves the callee-saved registers and swaps stacks (x86-64, below); elsewhere it is
// ucontext's swapcontext (EMU_FIBERS_UCONTEXT forces it), which also makes a signal-mask system
// call each time. attention-tc-emu's 24 cases on this machine (2026-11-26): 82 s with threads and
// 56 s with swapcontext, both idle; 4.8 s with the x86-64 switch, beside a CI run. kernels-emu: 1.2 s.
//
//   EmuFibers f;
//   f.set_barrier(id, n)  // barrier `id` (0 … MAX_BARRIERS-1) has n participants (before run)
//   f.run(128, [](int t) { ... body of thread t ... });   // returns when all returned
//   f.barrier(id)          // inside a body: wait until every participant of `id` arrived
//   f.drop(id)             // a participant leaves (a thread that exited): later phases wait for
//                          // one fewer, and the current one completes if the others are in
//   f.arrive(id)           // count as arrived at `id` without waiting (PTX bar.arrive)
//   f.wait_until(ready)    // wait until ready() holds (an mbarrier's phase). The scheduler calls
//                          // ready() while no fiber can run otherwise, and resumes the first
//                          // waiter whose ready() holds; ready() may change state only when it
//                          // returns true (the emulated mbarrier completes its phase there)
//
// A barrier that can never complete (some fiber returned or waits elsewhere) is a deadlock in the
// kernel: it is reported and the process aborts.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

#if defined(__x86_64__) && !defined(EMU_FIBERS_UCONTEXT)
// emu_fiber_switch(save, load): pushes the callee-saved registers (System V ABI: rbp, rbx, r12-r15)
// on the current stack, stores the stack pointer in *save, loads `load` as the stack pointer and pops
// the registers another switch pushed there (or a new fiber's zeros) and returns into that fiber.
// (Defined once per program: each emulator is one translation unit that includes this header.)
extern "C" void emu_fiber_switch(void** save, void* load);
asm(R"(
  .text
  .p2align 4
  .globl emu_fiber_switch
  .type emu_fiber_switch, @function
emu_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_fiber_switch, .-emu_fiber_switch
)");
#define EMU_FIBERS_ASM 1
#else
#include <ucontext.h>
#endif

class EmuFibers {
 public:
  static constexpr size_t STACK = 256 * 1024;  // the kernels' locals are a few KB; the emulator's helpers more
  static constexpr int MAX_BARRIERS = 96;      // ids 0 … 95 (blocks, warps, a cluster: the caller's numbering)

  // Called before a fiber runs or resumes, with its index (the emulator sets threadIdx from it).
  void (*on_resume)(int) = nullptr;

  void run(int n, const std::function<void(int)>& body) {
    body_ = &body;
    n_ = n;
    running_ = this;
    while ((int)fibers_.size() < n) fibers_.push_back(std::make_unique<Fiber>());
    for (int i = 0; i < n; i++) start(*fibers_[i]);
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
      to_fiber(*fibers_[cur_]);
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
    to_main(f);  // back when run() resumes this fiber (it sets cur_ and calls on_resume first)
  }
  // barrier `id` to have n participants: set while no phase is in progress, else it must already
  // have n (a named barrier's count comes with each bar.sync / bar.arrive)
  bool ensure_participants(int id, int n) {
    if (participants_[id] == n) return true;
    if (arrived_[id] != 0) return false;
    participants_[id] = n;
    return true;
  }
  void arrive(int id) {
    if (++arrived_[id] >= participants_[id]) release(id);
  }
  void wait_until(const std::function<bool()>& ready) {
    if (ready()) return;
    Fiber& f = *fibers_[cur_];
    f.state = WAITING;
    f.wait_id = -1;
    f.ready = &ready;
    to_main(f);
  }
  void drop(int id) {
    participants_[id]--;
    if (arrived_[id] > 0 && arrived_[id] >= participants_[id]) release(id);
  }

 private:
  enum State { READY, WAITING, DONE };
  struct Fiber {
    std::unique_ptr<char[]> stack{new char[STACK]};
    State state = READY;
    int wait_id = -1;
    const std::function<bool()>* ready = nullptr;  // wait_until's condition, while it waits there
#ifdef EMU_FIBERS_ASM
    void* sp = nullptr;
#else
    ucontext_t ctx{};
#endif
  };
  static inline EmuFibers* running_ = nullptr;  // the scheduler a starting fiber belongs to

  // a fiber's first instructions: run the body, then hand back for good
  static void entry() {
    EmuFibers* self = running_;
    const int me = self->cur_;
    (*self->body_)(me);
    self->fibers_[me]->state = DONE;
    self->to_main(*self->fibers_[me]);  // never resumed
    std::abort();
  }
#ifdef EMU_FIBERS_ASM
  void start(Fiber& f) {
    // the top of the stack, 16-byte aligned: entry's address where `ret` finds it, 16-byte aligned
    // so that entry starts as if called (rsp ≡ 8 mod 16), and six zeroed registers below it
    auto top = (reinterpret_cast<uintptr_t>(f.stack.get()) + STACK) & ~uintptr_t(15);
    void** slot = reinterpret_cast<void**>(top - 16);
    *slot = reinterpret_cast<void*>(&EmuFibers::entry);
    void** sp = slot - 6;
    for (int r = 0; r < 6; r++) sp[r] = nullptr;
    f.sp = sp;
    f.state = READY;
    f.wait_id = -1;
  }
  void to_fiber(Fiber& f) { emu_fiber_switch(&main_sp_, f.sp); }
  void to_main(Fiber& f) { emu_fiber_switch(&f.sp, main_sp_); }
  void* main_sp_ = nullptr;
#else
  void start(Fiber& f) {
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.get();
    f.ctx.uc_stack.ss_size = STACK;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, &EmuFibers::entry, 0);
    f.state = READY;
    f.wait_id = -1;
  }
  void to_fiber(Fiber& f) { swapcontext(&main_, &f.ctx); }
  void to_main(Fiber& f) { swapcontext(&f.ctx, &main_); }
  ucontext_t main_{};
#endif
  void release(int id) {
    arrived_[id] = 0;
    for (int i = 0; i < n_; i++)
      if (fibers_[i]->state == WAITING && fibers_[i]->wait_id == id) fibers_[i]->state = READY, fibers_[i]->wait_id = -1;
  }
  // the next ready fiber after `from`, round robin; else the next whose wait_until condition now
  // holds; -1 if none
  int pick(int from) const {
    for (int k = 1; k <= n_; k++) {
      const int i = (from + k + n_) % n_;
      if (fibers_[i]->state == READY) return i;
    }
    for (int k = 1; k <= n_; k++) {
      const int i = (from + k + n_) % n_;
      Fiber& f = *fibers_[i];
      if (f.state == WAITING && f.ready && (*f.ready)()) {
        f.state = READY;
        f.ready = nullptr;
        return i;
      }
    }
    return -1;
  }

  std::vector<std::unique_ptr<Fiber>> fibers_;
  const std::function<void(int)>* body_ = nullptr;
  int n_ = 0, cur_ = -1;
  int arrived_[MAX_BARRIERS] = {}, participants_[MAX_BARRIERS] = {};
};
