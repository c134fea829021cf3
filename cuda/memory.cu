// Device memory: a caching allocator and host<->device copies.
//
// Training allocates the same shapes every step; cudaMalloc/cudaFree cost tens of microseconds
// each and cudaFree synchronises the device, so freed blocks are kept in per-size free lists and
// handed out again. Reuse needs no event bookkeeping because every kernel runs on the one stream:
// work queued after a block is handed out runs after the work that used it before.
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

constexpr size_t kGranularity = 512;  // round sizes so near-equal requests share a free list

size_t round_up(size_t bytes) {
  return (bytes + kGranularity - 1) / kGranularity * kGranularity;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t in_use = 0;
  size_t peak = 0;
  size_t cached = 0;
  // The live graph's pool: every block handed out or freed while it was captured. Its free
  // blocks serve allocations during the capture only.
  bool capturing = false;
  std::unordered_set<void*> graph_blocks;
  std::unordered_map<size_t, std::vector<void*>> graph_free;

  // Gives every cached block back to the driver (before retrying a failed cudaMalloc).
  void release_cached() {
    for (auto& [size, blocks] : free_blocks)
      for (void* p : blocks) cudaFree(p);
    (void)cudaGetLastError();  // a failed free here must not be blamed on the next kernel
    free_blocks.clear();
    cached = 0;
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during static teardown
  return *c;
}

// The allocator itself, for the backend and for Scratch buffers.
void* allocate_block(size_t bytes) {
  const size_t size = round_up(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  void* p = nullptr;
  if (c.capturing) {  // the graph's own freed blocks first: reused in the graph's order
    auto g = c.graph_free.find(size);
    if (g != c.graph_free.end() && !g->second.empty()) {
      p = g->second.back();
      g->second.pop_back();
      c.in_use += size;
      if (c.in_use > c.peak) c.peak = c.in_use;
      mark_usable(p, bytes, size);
      return p;
    }
  }
  auto it = c.free_blocks.find(size);
  if (it != c.free_blocks.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    c.cached -= size;
  } else {
    stream();  // make sure the runtime (device, stream) exists before the first allocation
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      AG_CUDA_CHECK(cudaStreamSynchronize(stream()));  // cached blocks may still be in use
      c.release_cached();
      err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess && err != cudaErrorMemoryAllocation) {
      // Not a lack of memory: typically a fault left by an earlier kernel, surfacing here.
      cudaGetLastError();
      fail(__FILE__, ":", __LINE__, ": cudaMalloc of ", bytes,
           " bytes failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      (void)cudaGetLastError();
      fail("CUDA out of memory allocating ", bytes, " bytes (", bytes >> 20,
           " MiB): ", cudaGetErrorString(err), "; the device has ", free_bytes >> 20,
           " MiB free of ", total_bytes >> 20, " MiB, this process holds ", c.in_use >> 20,
           " MiB in tensors");
    }
  }
  if (c.capturing) c.graph_blocks.insert(p);
  c.in_use += size;
  if (c.in_use > c.peak) c.peak = c.in_use;
  mark_usable(p, bytes, size);
  return p;
}

void free_block(void* ptr, size_t bytes) {
  const size_t size = round_up(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.in_use -= size;
  c.cached += size;
  // A block freed during the capture may have been used by a captured kernel even if it was
  // allocated before: it joins the pool as well.
  if (c.capturing || c.graph_blocks.count(ptr)) {
    c.graph_blocks.insert(ptr);
    c.graph_free[size].push_back(ptr);
  } else {
    c.free_blocks[size].push_back(ptr);
  }
  mark_usable(ptr, 0, size);
}

}  // namespace

void* CudaBackend::allocate(size_t bytes) {
  return allocate_block(bytes);
}

void CudaBackend::deallocate(void* ptr, size_t bytes) {
  free_block(ptr, bytes);
}

void begin_graph_pool() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (c.capturing || !c.graph_blocks.empty())
    fail("CUDA graphs: a graph is already captured or alive (one at a time)");
  c.capturing = true;
}

void end_graph_pool_capture() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.capturing = false;
}

void release_graph_pool() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.capturing = false;
  for (auto& [size, blocks] : c.graph_free) {
    for (void* p : blocks) c.free_blocks[size].push_back(p);
  }
  c.graph_free.clear();
  c.graph_blocks.clear();  // blocks still held by tensors return to the cache when freed
}

size_t CudaBackend::peak_allocated_bytes() const {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.peak;
}

Scratch::Scratch(size_t bytes) : ptr_(bytes ? allocate_block(bytes) : nullptr), bytes_(bytes) {}
Scratch::~Scratch() {
  if (ptr_) free_block(ptr_, bytes_);
}

void CudaBackend::copy_from_host(void* dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return;
  // host_src is pageable (a std::vector): the driver stages such a copy before the call returns,
  // so the caller may free it at once. (From pinned memory the copy would still be in flight.)
  count_queued(Queued::Copy);
  AG_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream()));
}

void CudaBackend::copy_to_host(void* host_dst, const void* src, size_t bytes) {
  if (bytes != 0) {
    count_queued(Queued::Copy);
    AG_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  }
  check_errors();  // synchronises; a kernel that saw a bad index is reported here
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  count_queued(Queued::Copy);
  AG_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

}  // namespace ag::cuda
