// The OpenMP team that every parallel loop of the CPU backend uses.
#include <omp.h>

#include "cpu/cpu_backend.h"

namespace ag::cpu {

int CpuBackend::num_threads() const {
  return omp_get_max_threads();
}

void CpuBackend::set_num_threads(int n) {
  omp_set_num_threads(n < 1 ? 1 : n);
}

}  // namespace ag::cpu
