// Execution contexts for the emulated device's threads: a stack of their own and a switch that
// saves one context and resumes another, with the annotations AddressSanitizer and
// ThreadSanitizer need to follow a program that changes stacks.
#pragma once

#include <cstddef>

namespace cuda_emu {

// A fiber's stack: mapped once, with an inaccessible guard page below it so that an overflow
// faults instead of writing over a neighbour.
class FiberStack {
 public:
  explicit FiberStack(size_t bytes);
  ~FiberStack();
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;
  char* bottom() const { return usable_; }
  size_t size() const { return bytes_; }

 private:
  char* mapping_;
  size_t mapped_bytes_;
  char* usable_;
  size_t bytes_;
};

// A saved context is a stack pointer; the callee-saved registers and the floating-point control
// words live on that stack.
struct Context {
  void* sp = nullptr;
};

// Prepares `ctx` to start `entry` (which must never return) on `stack`.
void make_context(Context& ctx, const FiberStack& stack, void (*entry)());

// Saves the running context into `from` and resumes `to`.
void switch_context(Context& from, const Context& to);

}  // namespace cuda_emu
