// Runs a kernel's grid: blocks in parallel on a pool of host threads, a block's threads as fibers
// of the host thread that runs the block.
//
// Why fibers: a block has up to 1024 threads and the kernels synchronise them with
// __syncthreads(). One OS thread per CUDA thread would cost an OS context switch per thread per
// barrier (hundreds per block on a 2-core machine); a fiber switch costs a few nanoseconds. The
// block's threads still run interleaved, each on its own stack, and a barrier really waits for
// all of them.
//
// Schedule: the threads of a block run one after another until each reaches the next barrier
// (or returns); then the barrier opens and the next round starts. Rounds alternate between
// ascending and descending thread order (starting from the block's parity), so code that reads
// another thread's write without a barrier in between sees a stale value in one of the two
// orders: a missing __syncthreads() shows up as a wrong result, and under ThreadSanitizer as a
// reported data race, since each thread is a fiber of its own for ThreadSanitizer and only the
// barrier orders them (switches between fibers carry no synchronisation).
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda/emulation/fiber.h"
#include "cuda/emulation/grid.h"
#include "cuda_runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CUDA_EMU_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CUDA_EMU_TSAN 1
#endif

// The scheduler's own bookkeeping (which fiber runs, its status and indices) is handed between a
// fiber and its host thread by the context switch itself, which ThreadSanitizer is told carries
// no synchronisation (so that it sees races between the block's threads): its accesses are left
// out of the instrumentation, and only the kernels' own accesses are checked.
#define CUDA_EMU_NOT_TSAN_CHECKED __attribute__((no_sanitize("thread")))

namespace cuda_emu {

namespace {

size_t env_size(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? size_t(n) : fallback;
}

enum class Status { Runnable, AtBarrier, Done };

struct Fiber {
  explicit Fiber(size_t stack_bytes) : stack(stack_bytes) {}
  FiberStack stack;
  Context context;
  ThreadState state{};
  Status status = Status::Done;
#if CUDA_EMU_TSAN
  void* tsan_fiber = nullptr;
#endif
#if CUDA_EMU_ASAN
  void* asan_fake_stack = nullptr;
#endif
};

thread_local const ThreadState* tls_thread = nullptr;

// Runs blocks on the calling host thread, one at a time.
class BlockRunner {
 public:
  void run(const KernelLaunch& launch, uint64_t linear_block);
  void barrier();

 private:
  static void entry();
  void resume(Fiber& f);
  void suspend(bool finished);

  std::vector<std::unique_ptr<Fiber>> fibers_;
  Context scheduler_;
  Fiber* current_ = nullptr;
  const KernelLaunch* launch_ = nullptr;
  unsigned generation_ = 0;  // barriers passed in the current block
#if CUDA_EMU_ASAN
  void* scheduler_fake_stack_ = nullptr;
  const void* scheduler_stack_bottom_ = nullptr;
  size_t scheduler_stack_size_ = 0;
#endif
#if CUDA_EMU_TSAN
  void* tsan_scheduler_ = nullptr;
  char tsan_barrier_[2] = {};  // sync objects, alternating between consecutive barriers
  char tsan_done_ = 0;
#endif
};

thread_local BlockRunner* tls_runner = nullptr;

BlockRunner& runner() {
  // One per host thread, for the life of the thread (its fibers' stacks are reused by every
  // block it runs).
  thread_local BlockRunner* r = new BlockRunner;
  return *r;
}

uint3 unflatten(uint64_t i, dim3 d) {
  return uint3{unsigned(i % d.x), unsigned((i / d.x) % d.y), unsigned(i / (uint64_t(d.x) * d.y))};
}

CUDA_EMU_NOT_TSAN_CHECKED void BlockRunner::run(const KernelLaunch& launch, uint64_t linear_block) {
  static const size_t stack_bytes = env_size("AG_EMU_STACK_KB", 256) * 1024;
  const unsigned n = launch.block.x * launch.block.y * launch.block.z;
  while (fibers_.size() < n) fibers_.push_back(std::make_unique<Fiber>(stack_bytes));
  const uint3 block_idx = unflatten(linear_block, launch.grid);
  for (unsigned i = 0; i < n; ++i) {
    Fiber& f = *fibers_[i];
    f.state = ThreadState{unflatten(i, launch.block), block_idx, launch.block, launch.grid};
    f.status = Status::Runnable;
    make_context(f.context, f.stack, &BlockRunner::entry);
#if CUDA_EMU_TSAN
    // Created once per slot and reused by every block this host thread runs (creating one costs
    // ~0.7 ms): blocks that run one after another on a host thread are ordered by the join at
    // each block's end anyway, and blocks on different host threads are different fibers, so
    // two blocks racing on one word without an atomic are still reported.
    if (!f.tsan_fiber) f.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
#if CUDA_EMU_TSAN
  tsan_scheduler_ = __tsan_get_current_fiber();
#endif
  launch_ = &launch;
  generation_ = 0;
  tls_runner = this;
  for (unsigned round = 0;; ++round) {
    const bool descending = ((round + linear_block) & 1) == 0;
    for (unsigned k = 0; k < n; ++k) {
      Fiber& f = *fibers_[descending ? n - 1 - k : k];
      if (f.status == Status::Runnable) resume(f);
    }
    unsigned waiting = 0, done = 0;
    for (unsigned i = 0; i < n; ++i) {
      waiting += fibers_[i]->status == Status::AtBarrier;
      done += fibers_[i]->status == Status::Done;
    }
    if (waiting == 0) break;
    if (done > 0) {
      const std::string what = "__syncthreads() reached by " + std::to_string(waiting) +
                               " of the " + std::to_string(n) + " threads of block " +
                               std::to_string(linear_block) + " (the others returned)";
      device_fault(cudaErrorLaunchFailure, what.c_str());
      break;  // the waiting fibers are abandoned; their stacks are reset for the next block
    }
    ++generation_;
    for (unsigned i = 0; i < n; ++i) fibers_[i]->status = Status::Runnable;
  }
  tls_runner = nullptr;
#if CUDA_EMU_TSAN
  __tsan_acquire(&tsan_done_);  // the host sees everything the block's threads wrote
#endif
}

CUDA_EMU_NOT_TSAN_CHECKED void BlockRunner::resume(Fiber& f) {
  current_ = &f;
  tls_thread = &f.state;
#if CUDA_EMU_TSAN
  __tsan_switch_to_fiber(f.tsan_fiber, 0);  // the block's threads see what the host wrote
#endif
#if CUDA_EMU_ASAN
  __sanitizer_start_switch_fiber(&scheduler_fake_stack_, f.stack.bottom(), f.stack.size());
#endif
  switch_context(scheduler_, f.context);
#if CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(scheduler_fake_stack_, nullptr, nullptr);
#endif
  tls_thread = nullptr;
  current_ = nullptr;
}

CUDA_EMU_NOT_TSAN_CHECKED void BlockRunner::suspend(bool finished) {
  Fiber& f = *current_;
#if CUDA_EMU_TSAN
  // No synchronisation on the way out: only barriers order one thread's work before another's.
  __tsan_switch_to_fiber(tsan_scheduler_, __tsan_switch_to_fiber_no_sync);
#endif
#if CUDA_EMU_ASAN
  __sanitizer_start_switch_fiber(finished ? nullptr : &f.asan_fake_stack, scheduler_stack_bottom_,
                                 scheduler_stack_size_);
#endif
  switch_context(f.context, scheduler_);
#if CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, &scheduler_stack_bottom_,
                                  &scheduler_stack_size_);
#endif
  (void)finished;
}

CUDA_EMU_NOT_TSAN_CHECKED void BlockRunner::barrier() {
  const unsigned g = generation_;
#if CUDA_EMU_TSAN
  __tsan_release(&tsan_barrier_[g & 1]);
  // Also towards the host, which acquires this at the block's end: a thread abandoned at a
  // barrier (divergent __syncthreads()) never gets to release it at its end.
  __tsan_release(&tsan_done_);
#endif
  current_->status = Status::AtBarrier;
  suspend(false);
#if CUDA_EMU_TSAN
  __tsan_acquire(&tsan_barrier_[g & 1]);
#endif
  (void)g;
}

CUDA_EMU_NOT_TSAN_CHECKED void BlockRunner::entry() {
  BlockRunner* self = tls_runner;
#if CUDA_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &self->scheduler_stack_bottom_,
                                  &self->scheduler_stack_size_);
#endif
  try {
    self->launch_->run_thread(self->launch_->args);
  } catch (...) {
    device_fault(cudaErrorLaunchFailure, "a kernel threw a C++ exception");
  }
#if CUDA_EMU_TSAN
  __tsan_release(&self->tsan_done_);
#endif
  self->current_->status = Status::Done;
  self->suspend(true);
  std::abort();  // a finished fiber is never resumed
}

// The host threads that run blocks: the thread that launches plus `helpers` more.
class Pool {
 public:
  Pool() {
    const size_t hw = std::thread::hardware_concurrency();
    const size_t threads = env_size("AG_EMU_HOST_THREADS", hw < 1 ? 1 : (hw > 4 ? 4 : hw));
    for (size_t i = 1; i < threads; ++i) std::thread([this] { serve(); }).detach();
    helpers_ = threads - 1;
  }

  void run(const KernelLaunch& launch) {
    const uint64_t blocks = uint64_t(launch.grid.x) * launch.grid.y * launch.grid.z;
    if (helpers_ == 0 || blocks < 2) {
      for (uint64_t b = 0; b < blocks; ++b) runner().run(launch, b);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &launch;
      blocks_ = blocks;
      next_.store(0);
      busy_ = helpers_;
      ++job_id_;
    }
    wake_.notify_all();
    work(launch, blocks);
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [&] { return busy_ == 0; });
    job_ = nullptr;
  }

 private:
  void work(const KernelLaunch& launch, uint64_t blocks) {
    for (uint64_t b = next_.fetch_add(1); b < blocks; b = next_.fetch_add(1))
      runner().run(launch, b);
  }

  void serve() {
    uint64_t seen = 0;
    for (;;) {
      const KernelLaunch* job;
      uint64_t blocks;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return job_id_ != seen; });
        seen = job_id_;
        job = job_;
        blocks = blocks_;
      }
      work(*job, blocks);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0) finished_.notify_one();
    }
  }

  size_t helpers_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const KernelLaunch* job_ = nullptr;
  uint64_t blocks_ = 0, job_id_ = 0;
  size_t busy_ = 0;
  std::atomic<uint64_t> next_{0};
};

}  // namespace

CUDA_EMU_NOT_TSAN_CHECKED ThreadState current_thread() {
  if (!tls_thread) {
    std::fprintf(stderr,
                 "cuda emulation: threadIdx/blockIdx/blockDim/gridDim read outside a kernel\n");
    std::abort();
  }
  return *tls_thread;
}

CUDA_EMU_NOT_TSAN_CHECKED void syncthreads() {
  if (!tls_runner) {
    std::fprintf(stderr, "cuda emulation: __syncthreads() called outside a kernel\n");
    std::abort();
  }
  tls_runner->barrier();
}

void run_grid(const KernelLaunch& launch) {
  static Pool* pool = new Pool;  // never destroyed: its threads outlive static destructors
  pool->run(launch);
}

}  // namespace cuda_emu
