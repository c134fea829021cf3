#!/usr/bin/env bash
# Everything only a GPU can show, in one command, with its outputs kept for the record:
#   tools/gpu_check.sh [test|sanitize|bench|train|graph|all]   (default: all)
# - test:     configure with CUDA on, build, run the whole CTest suite (CUDA tests included)
# - sanitize: compute-sanitizer --tool memcheck over the CUDA tests
# - bench:    bench_swiglu --device cuda (kernels up to 64M elements + one training step),
#             bench_matmul --device cuda, and the benchmark plots
# - train:    build/experiments/sst2 on the GPU: every variant, seed 0, full data, 10 epochs
# - graph:    (also part of train) eager vs --cuda-graph steps/s, one epoch each, twice
# Results (JSON and logs, with the exact commands and the GPU's name) go to
# ${RESULTS:-tools/results}/gpu/. Needs SST-2 in ../shared/data (or AG_DATA_DIR / --data-dir).
# On a machine where nothing can be installed, run tools/gpu_bundle.sh first where you can: it
# packs GoogleTest, nlohmann/json and the data into .gpu/, which this script then uses.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
build=${AG_BUILD_DIR:-build-gpu}
results=${RESULTS:-tools/results}/gpu
mkdir -p "$results"
log() { echo "[gpu_check] $*" | tee -a "$results/commands.txt"; }

nvidia-smi -L >"$results/gpu.txt" 2>&1 || { echo "gpu_check: no GPU (nvidia-smi -L failed)" >&2; exit 2; }
log "$(date -u +%FT%TZ) on $(head -1 "$results/gpu.txt"), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

cmake_extra=()
# The GPU image ships CMake and ninja; make may be missing there.
if ! command -v make >/dev/null && command -v ninja >/dev/null; then cmake_extra+=(-G Ninja); fi
train_data=()
if [[ -d .gpu ]]; then  # packed by tools/gpu_bundle.sh
  cmake_extra+=(-DCMAKE_PREFIX_PATH="$PWD/.gpu/nlohmann" -DAG_GTEST_SOURCE="$PWD/.gpu/googletest"
               -DAG_SHARED_DIR="$PWD/.gpu/shared")
  if [[ -f .gpu/shared/data/SST-2/train.tsv ]]; then
    export AG_SHARED_DIR=$PWD/.gpu/shared
    train_data=(--data-dir "$PWD/.gpu/shared/data/SST-2" --vocab "$PWD/.gpu/shared/data/bert-base-uncased/vocab.txt")
  fi
fi
[[ -n ${AG_DATA_DIR:-} ]] && train_data=(--data-dir "$AG_DATA_DIR")

if [[ ! -f $build/CMakeCache.txt || $what == all || $what == test ]]; then
  log "cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=ON ${cmake_extra[*]} && cmake --build $build -j"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=ON "${cmake_extra[@]}" >"$results/configure.log" 2>&1 ||
    { tail -20 "$results/configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)" >"$results/build.log" 2>&1 || { tail -30 "$results/build.log"; exit 1; }
fi

# A driver too old for this toolkit makes cudaGetDeviceCount fail: every CUDA test would then skip
# and ctest would still pass. Refuse to report that as a GPU run.
if ! "$build/tests/cuda_tests" --gtest_filter='Registry/Parity.op/add' 2>&1 | grep -q '\[  PASSED  \] 1 test'; then
  log "the CUDA tests skip although nvidia-smi sees a GPU (driver older than the CUDA toolkit?)"
  "$build/tests/cuda_tests" --gtest_filter='Registry/Parity.op/add' 2>&1 | tail -5
  exit 1
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
  log "$build/experiments/sst2 --ffn relu,swish,swiglu --seeds 0 --epochs 10 --device cuda --quiet --out $results/sst2 ${train_data[*]}"
  "$build/experiments/sst2" --ffn relu,swish,swiglu --seeds 0 --epochs 10 --device cuda --quiet \
    --out "$results/sst2" "${train_data[@]}" 2>&1 | tee "$results/sst2.log"
fi

if [[ $what == all || $what == train || $what == graph ]]; then
  # Eager vs --cuda-graph steps/s, one epoch each, alternating (the metrics' timing.steps_per_s).
  for mode in eager graph eager graph; do
    flags=()
    [[ $mode == graph ]] && flags=(--cuda-graph)
    log "$build/experiments/sst2 --ffn relu,swish,swiglu --seeds 0 --epochs 1 --device cuda ${flags[*]} --quiet --out $results/sst2_$mode ${train_data[*]}"
    rm -rf "$results/sst2_$mode"
    "$build/experiments/sst2" --ffn relu,swish,swiglu --seeds 0 --epochs 1 --device cuda \
      "${flags[@]}" --quiet --out "$results/sst2_$mode" "${train_data[@]}" 2>&1 |
      tee -a "$results/sst2_$mode.log"
    for f in relu swish swiglu; do
      python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], sys.argv[3], d['timing']['steps_per_s'], d['gpu']['launches_per_step'])" \
        "$results/sst2_$mode/${f}_seed0.json" "$mode" "$f" | tee -a "$results/eager_vs_graph.txt"
    done
  done
fi
log "done: results in $results"
