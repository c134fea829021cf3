// The device side of the emulated CUDA device: what a kernel in cuda/*.cu sees when the host
// C++ compiler builds it. Qualifiers compile away, the built-in index variables read the state of
// the emulated thread that is running, __shared__ variables live once per block, __syncthreads()
// is a real barrier across the block's threads, and the atomics are real atomics.
#pragma once

#include <math.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// --- qualifiers ----------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// A block's threads are fibers of one host thread (see fibers.cpp), and a host thread runs one
// block at a time, so a per-host-thread static is exactly per-block storage, shared by the
// block's threads and private to the block. Like CUDA's shared memory, it is not cleared between
// blocks.
#define __shared__ static thread_local

// --- vector and index types
// -----------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

// 16-byte aligned, as on the GPU: a float4 access through a pointer that is not 16-byte aligned
// is a fault there, and the kernels' vector paths promise alignment (see load4/store4).
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(8) int2 {
  int x, y;
};

inline float4 make_float4(float x, float y, float z, float w) {
  return float4{x, y, z, w};
}
inline float2 make_float2(float x, float y) {
  return float2{x, y};
}

namespace cuda_emu {

// The emulated thread running on this host thread: its index, its block's index and the launch
// geometry. Valid only inside a kernel. Returned as a copy, so that reading an index is no access
// ThreadSanitizer would pair with the scheduler's writes.
struct ThreadState {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
ThreadState current_thread();

// Blocks the calling emulated thread until every thread of its block has arrived. A barrier that
// some threads of the block never reach (they returned instead) is reported as a device fault,
// as divergent __syncthreads() is undefined behaviour on a GPU.
void syncthreads();

// A fault inside a kernel (a misaligned vector access, a library stand-in used against its
// contract): printed once with `what`, and every later runtime call returns `error`, as a
// faulted CUDA context does.
void device_fault(int error, const char* what);

// Checks a 16-byte vector access (the GPU faults with "misaligned address" otherwise).
bool check_vector_access(const void* p, size_t alignment);

}  // namespace cuda_emu

#define threadIdx (::cuda_emu::current_thread().thread_idx)
#define blockIdx (::cuda_emu::current_thread().block_idx)
#define blockDim (::cuda_emu::current_thread().block_dim)
#define gridDim (::cuda_emu::current_thread().grid_dim)
#define __syncthreads() ::cuda_emu::syncthreads()

// --- atomics: real ones, since blocks run in parallel on several host threads --------------------
// As CUDA's overloads: the operands take the type the address points to.
template <class T>
T atomicCAS(T* address, std::type_identity_t<T> compare, std::type_identity_t<T> value) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, value, std::memory_order_seq_cst);
  return compare;  // the old value, whether or not it was replaced
}

namespace cuda_emu {
// Replaces *address by update(old) in one atomic step (a compare-and-swap loop, as CUDA's own
// atomics on types without a native instruction are built); returns the old value.
template <class T, class Update>
T atomic_update(T* address, Update update) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load();
  while (!ref.compare_exchange_weak(old, update(old))) {
  }
  return old;
}
}  // namespace cuda_emu

template <class T>
T atomicMin(T* address, std::type_identity_t<T> value) {
  return cuda_emu::atomic_update(address, [&](T old) { return value < old ? value : old; });
}

template <class T>
T atomicMax(T* address, std::type_identity_t<T> value) {
  return cuda_emu::atomic_update(address, [&](T old) { return old < value ? value : old; });
}

template <class T>
T atomicAdd(T* address, std::type_identity_t<T> value) {
  return cuda_emu::atomic_update(address, [&](T old) { return old + value; });
}

template <class T>
T atomicExch(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).exchange(value);
}
