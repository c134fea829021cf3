// A caching allocator for host memory. Training allocates the same shapes every step; reusing
// freed blocks avoids malloc's mmap/munmap of large buffers (and the page faults that follow),
// which otherwise costs more than the small kernels themselves.
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "cpu/kernels.h"

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

}  // namespace

void* allocate(size_t bytes) {
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

void deallocate(void* ptr, size_t bytes) {
  const size_t size = round_up(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.in_use -= size;
  c.free_blocks[size].push_back(ptr);
}

size_t peak_allocated_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.peak;
}

}  // namespace ag::cpu
