// NCCL all-reduce for the runner's data parallelism (cuda/nccl.h).
#include <nccl.h>

#include <cstring>

#include "cuda/common.cuh"
#include "cuda/nccl.h"

namespace ag::cuda {

namespace {

void check(ncclResult_t rc, const char* call) {
  if (rc != ncclSuccess) ag::fail(call, " failed: ", ncclGetErrorString(rc));
}

}  // namespace

std::string nccl_unique_id() {
  static_assert(sizeof(ncclUniqueId) == kNcclIdBytes, "ncclUniqueId size changed");
  ncclUniqueId id;
  check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  return std::string(reinterpret_cast<const char*>(&id), sizeof id);
}

void* nccl_comm_init(const std::string& unique_id, int ranks, int rank) {
  AG_CHECK(unique_id.size() == sizeof(ncclUniqueId), "nccl_comm_init: the unique id has ",
           unique_id.size(), " bytes, expected ", sizeof(ncclUniqueId));
  ncclUniqueId id;
  std::memcpy(&id, unique_id.data(), sizeof id);
  stream();  // the runtime (and its device) first: the communicator belongs to that device
  ncclComm_t comm = nullptr;
  check(ncclCommInitRank(&comm, ranks, id, rank), "ncclCommInitRank");
  return comm;
}

void nccl_all_reduce_sum(void* comm, float* data, int64_t n) {
  check(ncclAllReduce(data, data, size_t(n), ncclFloat, ncclSum, static_cast<ncclComm_t>(comm),
                      stream()),
        "ncclAllReduce");
}

void nccl_comm_destroy(void* comm) {
  if (comm) ncclCommDestroy(static_cast<ncclComm_t>(comm));
}

}  // namespace ag::cuda
