#include "experiments/runner/distributed.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/error.h"

#ifdef AG_HAVE_MPI
#include <mpi.h>
#endif

namespace sst2::dist {

namespace {

World& world_state() {
  static World w;
  return w;
}
bool g_started = false;

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var)) return true;
  }
  return false;
}

#ifdef AG_HAVE_MPI
void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  ag::fail(call, " failed on ", rank_label(), ": ", std::string(text, size_t(len)));
}

// MPI counts are int: longer buffers go in pieces.
template <class T, class Fn>
void in_chunks(T* values, int64_t n, Fn&& fn) {
  const int64_t kMax = std::numeric_limits<int>::max() / 2;
  for (int64_t done = 0; done < n; done += kMax) {
    fn(values + done, int(std::min<int64_t>(kMax, n - done)));
  }
}

template <class T>
std::vector<T> gather_impl(const std::vector<T>& mine, MPI_Datatype type) {
  const World& w = world();
  int count = int(mine.size());
  std::vector<int> counts(size_t(w.size)), displs(size_t(w.size));
  check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
        "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < w.size; ++r) {
    displs[size_t(r)] = total;
    total += counts[size_t(r)];
  }
  std::vector<T> all(static_cast<size_t>(total));
  check(MPI_Allgatherv(mine.data(), count, type, all.data(), counts.data(), displs.data(), type,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return all;
}
#endif

}  // namespace

bool built_with_mpi() {
#ifdef AG_HAVE_MPI
  return true;
#else
  return false;
#endif
}

void init(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
#ifdef AG_HAVE_MPI
  int already = 0;
  check(MPI_Initialized(&already), "MPI_Initialized");
  if (already || !launched_by_mpi()) return;
  int provided = 0;
  // OpenMP threads never call MPI; only the main thread does.
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  g_started = true;
  // Errors come back as return codes (checked, named) instead of aborting inside MPI.
  check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  World& w = world_state();
  check(MPI_Comm_rank(MPI_COMM_WORLD, &w.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &w.size), "MPI_Comm_size");
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w.rank, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  check(MPI_Comm_rank(node, &w.local_rank), "MPI_Comm_rank");
  check(MPI_Comm_size(node, &w.local_size), "MPI_Comm_size");
  check(MPI_Comm_free(&node), "MPI_Comm_free");
#else
  if (launched_by_mpi() && std::getenv("OMPI_COMM_WORLD_SIZE") &&
      std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")) > 1) {
    std::fprintf(stderr,
                 "sst2: warning: started by mpirun, but this build has no MPI (configure with "
                 "-DAG_MPI=ON): every rank runs everything on its own\n");
  }
#endif
}

void finalize() {
#ifdef AG_HAVE_MPI
  if (g_started) {
    g_started = false;
    MPI_Finalize();  // at exit: nothing left to report a failure to
  }
#endif
}

const World& world() {
  return world_state();
}

bool multi_rank() {
  return world().size > 1;
}

std::string rank_label() {
  return "rank " + std::to_string(world().rank) + "/" + std::to_string(world().size);
}

void abort_job(const std::string& message, int code) {
  std::fprintf(stderr, "sst2: %s: %s; ending all %d ranks\n", rank_label().c_str(), message.c_str(),
               world().size);
  std::fflush(stderr);
#ifdef AG_HAVE_MPI
  if (g_started) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::_Exit(code);
}

void barrier() {
#ifdef AG_HAVE_MPI
  if (multi_rank()) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

void sum(double* values, int64_t n) {
#ifdef AG_HAVE_MPI
  if (!multi_rank()) return;
  in_chunks(values, n, [](double* v, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, v, k, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  });
#else
  (void)values;
  (void)n;
#endif
}

void sum(int64_t* values, int64_t n) {
#ifdef AG_HAVE_MPI
  if (!multi_rank()) return;
  in_chunks(values, n, [](int64_t* v, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, v, k, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  });
#else
  (void)values;
  (void)n;
#endif
}

void sum(float* values, int64_t n) {
#ifdef AG_HAVE_MPI
  if (!multi_rank()) return;
  in_chunks(values, n, [](float* v, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, v, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  });
#else
  (void)values;
  (void)n;
#endif
}

int max(int value) {
#ifdef AG_HAVE_MPI
  if (multi_rank()) {
    check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
#endif
  return value;
}

std::vector<int32_t> all_gather(const std::vector<int32_t>& mine) {
#ifdef AG_HAVE_MPI
  if (multi_rank()) return gather_impl(mine, MPI_INT32_T);
#endif
  return mine;
}

std::vector<double> all_gather(const std::vector<double>& mine) {
#ifdef AG_HAVE_MPI
  if (multi_rank()) return gather_impl(mine, MPI_DOUBLE);
#endif
  return mine;
}

void broadcast(void* data, int64_t bytes, int root) {
#ifdef AG_HAVE_MPI
  if (!multi_rank()) return;
  in_chunks(static_cast<char*>(data), bytes, [root](char* v, int k) {
    check(MPI_Bcast(v, k, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  });
#else
  (void)data;
  (void)bytes;
  (void)root;
#endif
}

}  // namespace sst2::dist
