#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang under AddressSanitizer + UBSan (in
# build-fuzz/) and runs each for a bounded time. Exits non-zero when any target finds a crash,
# a leak, a timeout, an out-of-memory, a sanitizer report or a broken contract.
#   tools/fuzz.sh [SECONDS]     seconds per target (default 40, or $FUZZ_SECONDS): 7 targets,
#                               under 5 minutes of fuzzing at the default
# Environment: AG_FUZZ_BUILD_DIR (default build-fuzz), JOBS (build jobs, default nproc),
#              FUZZ_TARGETS (space-separated subset), FUZZ_WRAP (a prefix for every build and
#              fuzzer command, e.g. "flock /tmp/build.lock" to take turns on a shared machine).
# Inputs the fuzzers find are kept in BUILD/fuzz-corpus/<target>, crashes in
# BUILD/fuzz-artifacts/<target>/, logs in BUILD/fuzz-logs/<target>.log. An input that found a bug
# belongs in tests/fuzz/regressions/<target>/ (replayed by the test fuzz_replay_<target>) with a test
# of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${FUZZ_SECONDS:-40}}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz: SECONDS must be a positive integer" >&2; exit 2; }
targets=(${FUZZ_TARGETS:-explain_spec glue_tsv tokenizer vocab config checkpoint resume_metrics})
build=${AG_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}
read -r -a wrap <<< "${FUZZ_WRAP:-}"

# The build's packages, then clang's fuzzer runtime and OpenMP (only this script needs them).
tools/setup.sh
fuzz_packages=(clang libclang-rt-14-dev libomp-14-dev)
missing=()
for p in "${fuzz_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then apt_get=(apt-get); elif command -v sudo >/dev/null; then apt_get=(sudo apt-get); else
    echo "fuzz: missing packages: ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "fuzz: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { "${apt_get[@]}" update >/dev/null && "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

"${wrap[@]}" cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DAG_FUZZ=ON -DAG_SANITIZE=ON -DAG_CUDA=OFF -DAG_BUILD_TESTS=OFF -DAG_MARCH=x86-64-v3 >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
"${wrap[@]}" cmake --build "$build" -j "$jobs" "${build_targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t artifacts=$build/fuzz-artifacts/$t/ log=$build/fuzz-logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  inputs=("$corpus" "tests/fuzz/corpus/$t")
  [[ -d tests/fuzz/regressions/$t ]] && inputs+=("tests/fuzz/regressions/$t")
  echo "fuzz: $t for ${seconds} s" >&2
  start=$SECONDS
  rc=0
  "${wrap[@]}" "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts" "${inputs[@]}" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  line="$t: $((SECONDS - start)) s, ${execs} runs, corpus $(find "$corpus" -type f | wc -l) files"
  if ((rc != 0)); then
    failed+=("$t")
    line+=" -- FAILED (exit $rc), see $log and $artifacts"
    grep -E 'ERROR|SUMMARY|contract broken|runtime error|Test unit written' "$log" | head -5 >&2 || true
  fi
  summary+=("$line")
  echo "fuzz: $line" >&2
done

printf 'fuzz: %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings in ${#targets[@]} targets"
