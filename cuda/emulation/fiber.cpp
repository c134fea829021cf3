// Fiber stacks and the context switch. On x86-64 the switch is a dozen instructions (the System V
// callee-saved registers, MXCSR and the x87 control word); elsewhere it falls back to ucontext,
// which is correct but makes a system call per switch.
#include "cuda/emulation/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace cuda_emu {

FiberStack::FiberStack(size_t bytes) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  bytes_ = (bytes + page - 1) / page * page;
  mapped_bytes_ = bytes_ + page;
  void* m =
      mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    std::fprintf(stderr, "cuda emulation: cannot map a %zu-byte fiber stack\n", mapped_bytes_);
    std::abort();
  }
  mapping_ = static_cast<char*>(m);
  mprotect(mapping_, page, PROT_NONE);  // the guard page: stacks grow down into it
  usable_ = mapping_ + page;
}

FiberStack::~FiberStack() {
  munmap(mapping_, mapped_bytes_);
}

#if defined(__x86_64__)

extern "C" void cuda_emu_switch_context(void** save_sp, void* load_sp);

asm(R"(
  .pushsection .text
  .p2align 4
  .globl cuda_emu_switch_context
  .hidden cuda_emu_switch_context
  .type cuda_emu_switch_context, @function
cuda_emu_switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cuda_emu_switch_context, .-cuda_emu_switch_context
  .popsection
)");

void make_context(Context& ctx, const FiberStack& stack, void (*entry)()) {
  auto top = reinterpret_cast<uintptr_t>(stack.bottom() + stack.size()) & ~uintptr_t(15);
  auto* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = 0;                                  // entry's return address: it never returns
  *--sp = reinterpret_cast<uint64_t>(entry);  // popped by the switch's ret: rsp = 8 mod 16
  for (int i = 0; i < 6; ++i) *--sp = 0;      // rbp rbx r12 r13 r14 r15
  uint32_t mxcsr = 0;
  uint16_t fpcw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));  // the fiber starts with the host's rounding
  asm volatile("fnstcw %0" : "=m"(fpcw));    // and exception masks
  *--sp = uint64_t(mxcsr) | (uint64_t(fpcw) << 32);
  ctx.sp = sp;
}

void switch_context(Context& from, const Context& to) {
  cuda_emu_switch_context(&from.sp, to.sp);
}

#else  // ucontext: ctx.sp points at a ucontext_t owned by the context

namespace {
ucontext_t* as_ucontext(Context& c) {
  if (!c.sp) c.sp = new ucontext_t;
  return static_cast<ucontext_t*>(c.sp);
}
}  // namespace

void make_context(Context& ctx, const FiberStack& stack, void (*entry)()) {
  ucontext_t* uc = as_ucontext(ctx);
  getcontext(uc);
  uc->uc_stack.ss_sp = stack.bottom();
  uc->uc_stack.ss_size = stack.size();
  uc->uc_link = nullptr;
  makecontext(uc, entry, 0);
}

void switch_context(Context& from, const Context& to) {
  swapcontext(as_ucontext(from), static_cast<ucontext_t*>(to.sp));
}

#endif

}  // namespace cuda_emu
