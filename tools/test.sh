#!/usr/bin/env bash
# The README's test command: set up, configure, build, run every test with CTest.
#   tools/test.sh              Release build in build/ (CUDA backend when nvcc is present;
#                              its tests skip without a GPU), all tests
#   tools/test.sh --sanitize   AddressSanitizer + UBSan build in build-asan/ (CUDA off, AVX2 kernels)
# Environment: AG_BUILD_DIR (build directory), JOBS (parallel jobs, default: nproc),
#              AG_DATA_DIR (SST-2 directory for the end-to-end test, default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
[[ ${1:-} == --sanitize ]] && mode=sanitize

tools/setup.sh
jobs=${JOBS:-$(nproc)}
if [[ $mode == sanitize ]]; then
  build=${AG_BUILD_DIR:-build-asan}
  # Also the AVX2 code paths (the release build tests the host's, AVX-512 here).
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAG_SANITIZE=ON -DAG_CUDA=OFF -DAG_MARCH=x86-64-v3
else
  build=${AG_BUILD_DIR:-build}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 600
