#include "experiments/runner/grad_allreduce.h"

#include <vector>

#include "core/backend.h"
#include "experiments/runner/distributed.h"

#ifdef AG_RUNNER_CUDA
#include "cuda/cuda_backend.h"
#endif
#ifdef AG_RUNNER_NCCL
#include "cuda/nccl.h"
#endif

namespace sst2 {

namespace {

// CPU memory is host memory: MPI reduces it where it lies.
class HostMpiAllReduce : public DeviceAllReduce {
 public:
  void sum(float* data, int64_t n) override { dist::sum(data, n); }
  std::string name() const override { return "MPI_Allreduce"; }
};

// A device without NCCL (the emulated CUDA device): through a host copy. Synchronises.
class StagedMpiAllReduce : public DeviceAllReduce {
 public:
  explicit StagedMpiAllReduce(ag::Device device) : backend_(ag::backend(device)) {}
  void sum(float* data, int64_t n) override {
    host_.resize(size_t(n));
    backend_.copy_to_host(host_.data(), data, size_t(n) * sizeof(float));
    dist::sum(host_.data(), n);
    backend_.copy_from_host(data, host_.data(), size_t(n) * sizeof(float));
  }
  std::string name() const override { return "MPI_Allreduce (via host memory)"; }

 private:
  ag::Backend& backend_;
  std::vector<float> host_;
};

#ifdef AG_RUNNER_NCCL
class NcclAllReduce : public DeviceAllReduce {
 public:
  NcclAllReduce() {
    const dist::World& w = dist::world();
    std::string id(size_t(ag::cuda::kNcclIdBytes), '\0');
    if (w.rank == 0) id = ag::cuda::nccl_unique_id();
    dist::broadcast(id.data(), int64_t(id.size()), 0);
    comm_ = ag::cuda::nccl_comm_init(id, w.size, w.rank);
  }
  ~NcclAllReduce() override { ag::cuda::nccl_comm_destroy(comm_); }
  NcclAllReduce(const NcclAllReduce&) = delete;
  NcclAllReduce& operator=(const NcclAllReduce&) = delete;
  void sum(float* data, int64_t n) override { ag::cuda::nccl_all_reduce_sum(comm_, data, n); }
  std::string name() const override { return "NCCL"; }

 private:
  void* comm_ = nullptr;
};
#endif

}  // namespace

std::unique_ptr<DeviceAllReduce> make_device_all_reduce(ag::Device device) {
  if (device == ag::Device::CPU) return std::make_unique<HostMpiAllReduce>();
#ifdef AG_RUNNER_NCCL
  return std::make_unique<NcclAllReduce>();
#else
  return std::make_unique<StagedMpiAllReduce>(device);
#endif
}

void select_local_gpu() {
#if defined(AG_RUNNER_CUDA) && !defined(AG_CUDA_EMULATED)
  if (dist::multi_rank() && ag::cuda::device_present()) {
    ag::cuda::select_device(dist::world().local_rank);
  }
#endif
}

}  // namespace sst2
