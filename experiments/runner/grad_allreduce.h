// The sum over ranks of a float buffer on the training device: the one collective of a
// data-parallel step. MPI_Allreduce in place on the CPU; NCCL on CUDA devices (bootstrapped
// through MPI as llm.c does: rank 0 makes the id, MPI_Bcast, ncclCommInitRank); through MPI on
// host memory where the CUDA device has no NCCL (the emulated device).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"

namespace sst2 {

class DeviceAllReduce {
 public:
  virtual ~DeviceAllReduce() = default;
  // data: `n` floats on the device; afterwards every rank holds the sum. Asynchronous on
  // devices that can be (NCCL queues it on the backend's stream).
  virtual void sum(float* data, int64_t n) = 0;
  virtual std::string name() const = 0;  // "MPI_Allreduce", "NCCL", ...
};

std::unique_ptr<DeviceAllReduce> make_device_all_reduce(ag::Device device);

// Several ranks on a node with several GPUs: rank i of the node takes GPU i (mod the count).
// Must run before anything touches the CUDA device; a no-op on builds without real CUDA.
void select_local_gpu();

}  // namespace sst2
