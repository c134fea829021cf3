// A caching allocator for host memory. Training allocates the same shapes every step; reusing
// freed blocks avoids malloc's mmap/munmap of large buffers (and the page faults that follow),
// which otherwise costs more than the small kernels themselves. Also the backend's copies.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

namespace {

constexpr size_t kAlignment = 64;  // a cache line, and one AVX-512 register

size_t round_up(size_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by rounded size
  size_t in_use = 0;
  size_t peak = 0;

  ~Cache() {
    for (auto& [size, blocks] : free_blocks)
      for (void* p : blocks) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during static teardown
  return *c;
}

// Throws std::bad_alloc when the system has no memory left.
void* allocate_block(size_t bytes) {
  const size_t size = round_up(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.in_use += size;
    if (c.in_use > c.peak) c.peak = c.in_use;
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* CpuBackend::allocate(size_t bytes) {
  try {
    return allocate_block(bytes);
  } catch (const std::bad_alloc&) {
    fail("out of host memory allocating ", bytes, " bytes (", bytes >> 20, " MiB)");
  }
}

void CpuBackend::deallocate(void* ptr, size_t bytes) {
  const size_t size = round_up(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.in_use -= size;
  c.free_blocks[size].push_back(ptr);
}

size_t CpuBackend::peak_allocated_bytes() const {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.peak;
}

// An empty tensor has no storage (a null pointer), and memcpy with a null pointer is undefined
// even for 0 bytes: every copy checks the size first.
void CpuBackend::copy_from_host(void* dst, const void* host_src, size_t bytes) {
  if (bytes) std::memcpy(dst, host_src, bytes);
}

void CpuBackend::copy_to_host(void* host_dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(host_dst, src, bytes);
}

// Large copies are split into 256 KiB chunks across the threads.
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;  // empty tensors have null storage; memcpy(null, ..., 0) is UB
  constexpr size_t kChunk = size_t(1) << 18;  // 256 KiB per task
  const int64_t chunks = int64_t((bytes + kChunk - 1) / kChunk);
#pragma omp parallel for if (bytes >= 4 * kParallelElements) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const size_t start = size_t(c) * kChunk;
    std::memcpy(static_cast<char*>(dst) + start, static_cast<const char*>(src) + start,
                std::min(kChunk, bytes - start));
  }
}

}  // namespace ag::cpu
