#!/usr/bin/env bash
# Shows that the emulated CUDA suite catches real kernel bugs: plants one known bug at a time in
# cuda/*.cu, rebuilds the CUDA tests against the emulated device, runs the tests that should
# notice, and restores the file. Every planted bug must make those tests fail.
#   tools/plant_bugs.sh           Release build in build-plant/ (AG_CUDA=EMULATE)
#   tools/plant_bugs.sh --tsan    ThreadSanitizer build in build-plant-tsan/: the removed
#                                 __syncthreads() must be reported as a data race
# Writes the verdicts to tools/results/emulation/planted_bugs[_tsan].txt; exit 1 if any bug
# went unnoticed. Leaves the source tree as it found it (also when interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."

tsan=0
[[ ${1:-} == --tsan ]] && tsan=1
jobs=${JOBS:-$(nproc)}
if ((tsan)); then
  build=${AG_BUILD_DIR:-build-plant-tsan}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAG_SANITIZE=thread -DAG_CUDA=EMULATE >/dev/null
  out=tools/results/emulation/planted_bugs_tsan.txt
  export OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
else
  build=${AG_BUILD_DIR:-build-plant}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAG_CUDA=EMULATE >/dev/null
  out=tools/results/emulation/planted_bugs.txt
fi
mkdir -p "$(dirname "$out")"

# name | file | exact text | replacement | tests that must fail   (\n: a line break)
bugs=(
  "fused SwiGLU backward: tail bound one short|cuda/gated.cu|GatedBackward<Act, true, true>{fn, a, b, gh, ga, gb}, n, aligned)|GatedBackward<Act, true, true>{fn, a, b, gh, ga, gb}, n - 1, aligned)|Registry/Parity.op/swiglu:Registry/Parity.op/geglu:Registry/Parity.op/gated:CudaParityGated.*"
  "block reduction: __syncthreads() after thread 0 publishes the result removed|cuda/block_reduce.cuh|  if (threadIdx.x == 0) result = r;\n  __syncthreads();|  if (threadIdx.x == 0) result = r;|Registry/Parity.op/softmax:Registry/Parity.op/log_softmax:Registry/Parity.op/layer_norm:Registry/Parity.op/cross_entropy:Registry/Parity.op/masked_fill:CudaParityRows.*"
  "embedding backward: each id's last row dropped|cuda/embedding.cu|for (int64_t j = k; j < end; ++j)|for (int64_t j = k; j < end - 1; ++j)|Registry/Parity.op/embedding"
  "GEMM wrapper: transpose flags swapped|cuda/gemm.cu|cublasSgemm(cublas(), op_b, op_a,|cublasSgemm(cublas(), op_a, op_b,|Registry/Parity.op/matmul"
  "elementwise: float4 path taken on misaligned pointers|cuda/map.cuh|return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;|return true;|Registry/Parity.op/*_misaligned"
)
if ((tsan)); then bugs=("${bugs[1]}"); fi

backup=$(mktemp -d)
restore() {
  for f in "$backup"/*; do [[ -e $f ]] && cp "$f" "cuda/$(basename "$f")"; done
  rm -rf "$backup"
}
trap restore EXIT

suffix=""
if ((tsan)); then suffix=" --tsan"; fi
echo "# tools/plant_bugs.sh$suffix at $(git rev-parse --short HEAD) ($(date -u +%Y-%m-%dT%H:%MZ))" >"$out"
cmake --build "$build" -j "$jobs" --target cuda_tests >/dev/null
missed=0
for bug in "${bugs[@]}"; do
  IFS='|' read -r name file old new filter <<<"$bug"
  cp "$file" "$backup/$(basename "$file")"
  python3 - "$file" "$old" "$new" <<'EOF'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace("\\n", "\n"), sys.argv[3].replace("\\n", "\n")
s = open(path).read()
if s.count(old) != 1:
    sys.exit(f"plant_bugs: the text to replace occurs {s.count(old)} times in {path}")
open(path, "w").write(s.replace(old, new))
EOF
  cmake --build "$build" -j "$jobs" --target cuda_tests >/dev/null
  log=$(mktemp)
  if "$build/tests/cuda_tests" --gtest_filter="$filter" >"$log" 2>&1; then
    verdict="MISSED"
    missed=1
  else
    failed=$(grep -c '^\[  FAILED  \] .*(' "$log" || true)
    race=$(grep -c 'ThreadSanitizer: data race' "$log" || true)
    verdict="caught ($failed failing tests"
    if [[ $race != 0 ]]; then verdict+=", $race data race reports"; fi
    verdict+=")"
  fi
  cp "$backup/$(basename "$file")" "$file"
  printf '%-80s %s\n' "$name [$file; $filter]" "$verdict" | tee -a "$out"
  rm -f "$log"
done
cmake --build "$build" -j "$jobs" --target cuda_tests >/dev/null  # back to the clean kernels
exit $missed
