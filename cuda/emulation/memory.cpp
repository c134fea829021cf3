// Device memory of the emulated device: host allocations of exactly the requested size (so
// AddressSanitizer reports any access past the end), a registry that tells device memory from
// host memory, and copies and memsets that run in stream order.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "cuda/emulation/config.h"
#include "cuda/emulation/queue.h"
#include "cuda_runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace cuda_emu {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, size_t> device;  // start -> bytes
  std::map<uintptr_t, size_t> pinned;
  size_t device_bytes = 0;
};

Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

bool inside(const std::map<uintptr_t, size_t>& m, const void* p, size_t bytes) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = m.upper_bound(a);
  if (it == m.begin()) return false;
  --it;
  return a >= it->first && a - it->first <= it->second && bytes <= it->second - (a - it->first);
}

struct Copy {
  void* dst;
  const void* src;
  size_t bytes;
  std::vector<unsigned char> staged;  // pageable host source, copied at the call
};

void enqueue_copy(void* dst, const void* src, size_t bytes, bool stage) {
  auto* c = new Copy{dst, src, bytes, {}};
  if (stage) {
    const auto* s = static_cast<const unsigned char*>(src);
    c->staged.assign(s, s + bytes);
    c->src = c->staged.data();
  }
  enqueue(Task{[](void* ctx) {
                 auto* c = static_cast<Copy*>(ctx);
                 std::memcpy(c->dst, c->src, c->bytes);
               },
               c, [](void* ctx) { delete static_cast<Copy*>(ctx); }});
}

}  // namespace

bool is_device_range(const void* p, size_t bytes) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return inside(r.device, p, bytes);
}

bool is_pinned_range(const void* p, size_t bytes) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return inside(r.pinned, p, bytes);
}

void mark_usable_async(cudaStream_t, void* block, size_t usable, size_t capacity) {
#if defined(__SANITIZE_ADDRESS__)
  struct Mark {
    char* block;
    size_t usable, capacity;
  };
  enqueue(Task{[](void* ctx) {
                 const auto* m = static_cast<Mark*>(ctx);
                 ASAN_UNPOISON_MEMORY_REGION(m->block, m->usable);
                 ASAN_POISON_MEMORY_REGION(m->block + m->usable, m->capacity - m->usable);
               },
               new Mark{static_cast<char*>(block), usable, capacity},
               [](void* ctx) { delete static_cast<Mark*>(ctx); }});
#else
  (void)block, (void)usable, (void)capacity;
#endif
}

}  // namespace cuda_emu

using cuda_emu::set_last_error;

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (!ptr) return set_last_error(cudaErrorInvalidValue);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  // An allocation is not part of the graph: replays would use memory nobody allocated again.
  if (cuda_emu::capture_active() && cuda_emu::capture_mode() != cudaStreamCaptureModeRelaxed)
    return cuda_emu::refuse_during_capture();
  cuda_emu::Registry& r = cuda_emu::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (bytes > cuda_emu::config().memory_bytes - r.device_bytes)
    return set_last_error(cudaErrorMemoryAllocation);
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes) != 0) return set_last_error(cudaErrorMemoryAllocation);
  r.device[reinterpret_cast<uintptr_t>(p)] = bytes;
  r.device_bytes += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  const cudaError_t err = cuda_emu::drain();  // cudaFree waits for the device
  cuda_emu::Registry& r = cuda_emu::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.device.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == r.device.end()) return set_last_error(cudaErrorInvalidValue);
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(ptr, it->second);  // the caching allocator may have poisoned it
#endif
  r.device_bytes -= it->second;
  r.device.erase(it);
  std::free(ptr);
  return set_last_error(err);
}

cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned) {
  if (!ptr) return set_last_error(cudaErrorInvalidValue);
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  void* p = nullptr;
  if (posix_memalign(&p, 64, bytes) != 0) return set_last_error(cudaErrorMemoryAllocation);
  cuda_emu::Registry& r = cuda_emu::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.pinned[reinterpret_cast<uintptr_t>(p)] = bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, size_t bytes) {
  return cudaHostAlloc(ptr, bytes, cudaHostAllocDefault);
}

cudaError_t cudaFreeHost(void* ptr) {
  if (!ptr) return cudaSuccess;
  const cudaError_t err = cuda_emu::drain();
  cuda_emu::Registry& r = cuda_emu::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.pinned.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == r.pinned.end()) return set_last_error(cudaErrorInvalidValue);
  r.pinned.erase(it);
  std::free(ptr);
  return set_last_error(err);
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  if (!free_bytes || !total_bytes) return set_last_error(cudaErrorInvalidValue);
  cuda_emu::Registry& r = cuda_emu::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  *total_bytes = cuda_emu::config().memory_bytes;
  *free_bytes = *total_bytes - r.device_bytes;
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src) return set_last_error(cudaErrorInvalidValue);
  const bool dst_dev = cuda_emu::is_device_range(dst, bytes);
  const bool src_dev = cuda_emu::is_device_range(src, bytes);
  if (kind == cudaMemcpyDefault)
    kind = src_dev ? (dst_dev ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost)
                   : (dst_dev ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost);
  // Each side must be what the kind says it is, and device ranges must lie inside one
  // allocation: the real runtime refuses a host pointer where it expects device memory.
  const bool want_dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDeviceToDevice)
    return set_last_error(cudaErrorInvalidMemcpyDirection);
  if (dst_dev != want_dst_dev || src_dev != want_src_dev)
    return set_last_error(cudaErrorInvalidValue);
  const bool pageable_side =
      (kind == cudaMemcpyHostToDevice && !cuda_emu::is_pinned_range(src, bytes)) ||
      (kind == cudaMemcpyDeviceToHost && !cuda_emu::is_pinned_range(dst, bytes));
  if (pageable_side && cuda_emu::capture_active()) return cuda_emu::refuse_during_capture();
  if (kind == cudaMemcpyHostToDevice && !cuda_emu::is_pinned_range(src, bytes)) {
    cuda_emu::enqueue_copy(dst, src, bytes, true);  // pageable: staged before the call returns
  } else if (kind == cudaMemcpyDeviceToHost && !cuda_emu::is_pinned_range(dst, bytes)) {
    // To pageable memory the copy has completed when the call returns.
    cuda_emu::enqueue_copy(dst, src, bytes, false);
    return set_last_error(cuda_emu::drain());
  } else {
    cuda_emu::enqueue_copy(dst, src, bytes, false);
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const cudaError_t err = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  if (err != cudaSuccess) return err;
  return set_last_error(cuda_emu::drain());
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t) {
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  if (bytes == 0) return cudaSuccess;
  if (!cuda_emu::is_device_range(dst, bytes)) return set_last_error(cudaErrorInvalidValue);
  struct Set {
    void* dst;
    int value;
    size_t bytes;
  };
  cuda_emu::enqueue(cuda_emu::Task{[](void* ctx) {
                                     const auto* s = static_cast<Set*>(ctx);
                                     std::memset(s->dst, s->value, s->bytes);
                                   },
                                   new Set{dst, value, bytes},
                                   [](void* ctx) { delete static_cast<Set*>(ctx); }});
  return cudaSuccess;
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  const cudaError_t err = cudaMemsetAsync(dst, value, bytes, nullptr);
  if (err != cudaSuccess) return err;
  return set_last_error(cuda_emu::drain());
}
