#!/usr/bin/env bash
# The README's test command: set up, configure, build, run every test with CTest.
#   tools/test.sh              Release build in build/ (CUDA backend when nvcc is present;
#                              its tests skip without a GPU), all tests
#   tools/test.sh --sanitize   AddressSanitizer + UBSan build in build-asan/ (AVX2 kernels), with
#                              the CUDA backend on the emulated device: every CUDA test runs
#   tools/test.sh --tsan       ThreadSanitizer build in build-tsan/ of the CUDA backend on the
#                              emulated device: the CUDA and emulation suites (a race between a
#                              block's threads, such as a missing __syncthreads(), is reported)
#   tools/test.sh --emulate    Release build in build-emu/ with the emulated CUDA device, all tests
# Environment: AG_BUILD_DIR (build directory), JOBS (parallel jobs, default: nproc),
#              AG_DATA_DIR (SST-2 directory for the end-to-end test, default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
case ${1:-} in
  --sanitize) mode=sanitize ;;
  --tsan) mode=tsan ;;
  --emulate) mode=emulate ;;
  "") ;;
  *) echo "usage: tools/test.sh [--sanitize|--tsan|--emulate]" >&2; exit 2 ;;
esac

tools/setup.sh
jobs=${JOBS:-$(nproc)}
targets=()
ctest_args=()
case $mode in
  sanitize)
    build=${AG_BUILD_DIR:-build-asan}
    # Also the AVX2 code paths (the release build tests the host's, AVX-512 here).
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAG_SANITIZE=ON -DAG_CUDA=EMULATE \
      -DAG_MARCH=x86-64-v3
    ;;
  tsan)
    build=${AG_BUILD_DIR:-build-tsan}
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAG_SANITIZE=thread -DAG_CUDA=EMULATE
    targets=(--target cuda_tests emulation_tests)
    ctest_args=(-L '^(cuda|emulation)$')
    # The CPU reference kernels use OpenMP, whose runtime ThreadSanitizer cannot see into: one
    # OpenMP thread keeps its reports to the code under test. halt_on_error: a race fails the test.
    export OMP_NUM_THREADS=1
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
    ;;
  emulate)
    build=${AG_BUILD_DIR:-build-emu}
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=EMULATE
    ;;
  release)
    build=${AG_BUILD_DIR:-build}
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
    ;;
esac
cmake --build "$build" -j "$jobs" "${targets[@]}"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 900 "${ctest_args[@]}"
