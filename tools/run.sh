#!/usr/bin/env bash
# The README's main command: set up, build, train every FFN variant on SST-2, write the report.
#
#   tools/run.sh                          relu, swish, swiglu x seeds 0,1,2 x 10 epochs -> runs/
#   tools/run.sh --data-dir DIR --vocab FILE   data elsewhere than ../shared/data
#   tools/run.sh --epochs 1 --limit 2000       any other build/experiments/sst2 flag is passed on
#
# Uses the GPU when nvidia-smi sees one and the CUDA backend was built, else the CPU.
# Environment: AG_BUILD_DIR (default build), OUT (default runs).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
build=${AG_BUILD_DIR:-build}
out=${OUT:-runs}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target sst2

device=cpu
if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q GPU &&
   grep -q "AG_CUDA_BUILT:INTERNAL=ON" "$build/CMakeCache.txt" 2>/dev/null; then
  device=cuda
fi

"$build/experiments/sst2" --ffn relu,swish,swiglu --seeds 0,1,2 --epochs 10 --device "$device" \
  --threads "$(nproc)" --out "$out" "$@"
tools/report.py "$out" --out "$out/report"
echo "run: metrics in $out/, report in $out/report/report.md"
