// NCCL collectives on the backend's stream, for gradient all-reduce between GPUs (built when the
// real CUDA backend is and NCCL is found: AG_HAVE_NCCL). The communicator is bootstrapped by the
// caller, who moves the unique id between processes (MPI_Bcast): this header knows no MPI.
// Plain C++ (no NCCL or CUDA types), so the runner's C++ can include it.
#pragma once

#include <cstdint>
#include <string>

namespace ag::cuda {

constexpr int kNcclIdBytes = 128;  // sizeof(ncclUniqueId)

// ncclGetUniqueId: made on one rank, handed to every other one.
std::string nccl_unique_id();
// ncclCommInitRank on the current device; returns an opaque communicator.
void* nccl_comm_init(const std::string& unique_id, int ranks, int rank);
// In place: data[i] = sum over ranks of data[i]. Queued on the backend's stream (asynchronous,
// ordered with the kernels before and after it).
void nccl_all_reduce_sum(void* comm, float* data, int64_t n);
void nccl_comm_destroy(void* comm);

}  // namespace ag::cuda
