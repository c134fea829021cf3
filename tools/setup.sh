#!/usr/bin/env bash
# Installs what the build, the tests and the plotting tools need, when it is missing.
# Debian/Ubuntu: runs apt-get as root (or through sudo when available); otherwise prints the
# command to run. The CUDA Toolkit is optional: without nvcc the CUDA backend is skipped.
set -euo pipefail

# pybind11-dev python3-dev python3-numpy python3-pytest: the Python module (tools/python) and
# its tests.
packages=(cmake g++ make libgtest-dev libgmock-dev nlohmann-json3-dev zlib1g-dev python3 python3-matplotlib
          libopenmpi-dev openmpi-bin graphviz git pybind11-dev python3-dev python3-numpy
          python3-pytest)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt_get=(apt-get)
  elif command -v sudo >/dev/null; then
    apt_get=(sudo apt-get)
  else
    echo "setup: missing packages: ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { "${apt_get[@]}" update >/dev/null && "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: CUDA toolkit found; the CUDA backend will be built" >&2
else
  echo "setup: no CUDA toolkit (nvcc) found; building the CPU backend only" >&2
fi
