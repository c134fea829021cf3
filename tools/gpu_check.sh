#!/usr/bin/env bash
# Everything only a GPU can show, in one command, with its outputs kept for the record:
#   tools/gpu_check.sh [test|sanitize|bench|train|all]   (default: all)
# - test:     configure with CUDA on, build, run the whole CTest suite (CUDA tests included)
# - sanitize: compute-sanitizer --tool memcheck over the CUDA tests
# - bench:    bench_swiglu --device cuda (kernels up to 64M elements + one training step),
#             bench_matmul --device cuda, and the benchmark plots
# - train:    build/experiments/sst2 on the GPU: every variant, seed 0, full data, 10 epochs
# Results (JSON and logs, with the exact commands and the GPU's name) go to
# ${RESULTS:-tools/results}/gpu/. Needs SST-2 in ../shared/data (or AG_DATA_DIR / --data-dir).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
build=${AG_BUILD_DIR:-build-gpu}
results=${RESULTS:-tools/results}/gpu
mkdir -p "$results"
log() { echo "[gpu_check] $*" | tee -a "$results/commands.txt"; }

nvidia-smi -L >"$results/gpu.txt" 2>&1 || { echo "gpu_check: no GPU (nvidia-smi -L failed)" >&2; exit 2; }
log "$(date -u +%FT%TZ) on $(head -1 "$results/gpu.txt"), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

if [[ ! -f $build/CMakeCache.txt || $what == all || $what == test ]]; then
  log "cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=ON && cmake --build $build -j"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=ON >"$results/configure.log" 2>&1
  cmake --build "$build" -j "$(nproc)" >"$results/build.log" 2>&1
fi

if [[ $what == all || $what == test ]]; then
  log "(cd $build && ctest --output-on-failure -j 4 --output-junit ctest.xml)"
  (cd "$build" && ctest --output-on-failure -j 4 --output-junit ctest.xml) >"$results/ctest.log" 2>&1 &&
    log "ctest: passed" || log "ctest: FAILED (see ctest.log)"
  cp "$build/ctest.xml" "$results/ctest.xml" 2>/dev/null || true
  tail -3 "$results/ctest.log"
fi

if [[ $what == all || $what == sanitize ]]; then
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  log "$sanitizer --tool memcheck --error-exitcode 1 $build/tests/cuda_tests"
  "$sanitizer" --tool memcheck --error-exitcode 1 "$build/tests/cuda_tests" >"$results/memcheck.log" 2>&1 &&
    log "memcheck: clean" || log "memcheck: ERRORS (see memcheck.log)"
  tail -3 "$results/memcheck.log"
fi

if [[ $what == all || $what == bench ]]; then
  log "$build/tools/bench_swiglu --device cuda --json $results/bench_swiglu_cuda.json"
  "$build/tools/bench_swiglu" --device cuda --json "$results/bench_swiglu_cuda.json" | tee "$results/bench_swiglu_cuda.txt"
  log "$build/tools/bench_matmul --device cuda --json $results/bench_matmul_cuda.json"
  "$build/tools/bench_matmul" --device cuda --json "$results/bench_matmul_cuda.json" | tee "$results/bench_matmul_cuda.txt"
  log "tools/report.py --bench $results/bench_swiglu_cuda.json --out $results/plots"
  tools/report.py --bench "$results/bench_swiglu_cuda.json" --out "$results/plots" || true
fi

if [[ $what == all || $what == train ]]; then
  log "$build/experiments/sst2 --ffn relu,swish,swiglu --seeds 0 --epochs 10 --device cuda --quiet --out $results/sst2"
  "$build/experiments/sst2" --ffn relu,swish,swiglu --seeds 0 --epochs 10 --device cuda --quiet \
    --out "$results/sst2" ${AG_DATA_DIR:+--data-dir "$AG_DATA_DIR"} 2>&1 | tee "$results/sst2.log"
fi
log "done: results in $results"
