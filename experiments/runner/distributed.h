// The runner's processes ("ranks"): MPI when the program is built with it (AG_MPI) and started by
// mpirun or srun, otherwise a world of one. Everything the runner needs from MPI is here, on host
// memory; the gradient all-reduce on a device is in grad_allreduce.h. Without MPI every call is a
// no-op over one rank, so the rest of the runner is written once.
//
// Every MPI call is checked: a failure throws ag::Error naming the call and MPI's message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sst2::dist {

struct World {
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  // among the ranks on this node (MPI_Comm_split_type)
};

// Starts MPI when the environment says a launcher started this process (OMPI_*/PMIX_*/PMI_*
// variables); a plain `sst2` never touches MPI. Idempotent.
void init(int* argc, char*** argv);
// MPI_Finalize, if init started MPI.
void finalize();
const World& world();
bool multi_rank();         // world().size > 1
bool built_with_mpi();     // AG_MPI found MPI at configure time
std::string rank_label();  // "rank 1/4"

// Ends every rank of the job (MPI_Abort) after printing `message` prefixed with this rank, so
// that a failure on one rank never leaves the others waiting in a collective.
[[noreturn]] void abort_job(const std::string& message, int code);

void barrier();
// In-place sums over all ranks.
void sum(double* values, int64_t n);
void sum(int64_t* values, int64_t n);
void sum(float* values, int64_t n);
int max(int value);
// Every rank's vector, concatenated in rank order, on every rank.
std::vector<int32_t> all_gather(const std::vector<int32_t>& mine);
std::vector<double> all_gather(const std::vector<double>& mine);
// Rank `root`'s bytes, on every rank.
void broadcast(void* data, int64_t bytes, int root);

}  // namespace sst2::dist
