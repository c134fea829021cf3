#!/usr/bin/env bash
# The CPU benchmarks, in one command (about a minute on the 2-core dev machine):
#   tools/bench/bench_cpu.sh
# - bench_matmul:  512^3 and the SST-2 model's products, 1 and all threads (GFLOP/s)
# - bench_swiglu:  fused vs unfused SwiGLU forward/backward, 16x32x128 .. 16M elements, 1 and all
#                  threads, next to a memory copy; plus one SST-2 training step each way
# - report.py --bench: speedup and bandwidth plots
# Results (JSON, logs and the exact commands) go to ${RESULTS:-tools/results}/cpu/.
# Timings on a shared or busy machine are noisy: run it on an idle one.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${AG_BUILD_DIR:-build}
results=${RESULTS:-tools/results}/cpu
mkdir -p "$results"
log() { echo "[bench_cpu] $*" | tee -a "$results/commands.txt"; }

tools/setup.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_matmul bench_swiglu >/dev/null
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
log "$(date -u +%FT%TZ) on $cpu ($(nproc) cores), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

log "$build/tools/bench_matmul --threads 1,$(nproc) --json $results/bench_matmul.json"
"$build/tools/bench_matmul" --threads "1,$(nproc)" --json "$results/bench_matmul.json" |
  tee "$results/bench_matmul.txt"

log "$build/tools/bench_swiglu --device cpu --json $results/bench_swiglu_cpu.json"
"$build/tools/bench_swiglu" --device cpu --json "$results/bench_swiglu_cpu.json" |
  tee "$results/bench_swiglu_cpu.txt"

log "tools/report.py --bench $results/bench_swiglu_cpu.json --out $results/plots"
tools/report.py --bench "$results/bench_swiglu_cpu.json" --out "$results/plots"
log "done: results in $results"
