#!/usr/bin/env bash
# Packs what tools/gpu_check.sh needs on a GPU machine where nothing can be installed (no
# network, no apt): GoogleTest's sources, nlohmann/json's headers and CMake files, and the
# SST-2 data and seed documents. Writes .gpu/ (git-ignored), about 8 MB:
#   .gpu/googletest/        from /usr/src/googletest (Debian googletest)
#   .gpu/nlohmann/          include/nlohmann + share/cmake/nlohmann_json (Debian nlohmann-json3-dev)
#   .gpu/shared/data, seeds from ../shared (or SHARED=DIR)
# Then, on the GPU machine, in a copy of this tree that includes .gpu/:
#   tools/gpu_check.sh all        (it finds .gpu/ by itself)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
tools/setup.sh
rm -rf .gpu
mkdir -p .gpu/nlohmann/include .gpu/nlohmann/share/cmake .gpu/shared/data
cp -r /usr/src/googletest .gpu/googletest
cp -r /usr/include/nlohmann .gpu/nlohmann/include/
cp -r /usr/share/cmake/nlohmann_json .gpu/nlohmann/share/cmake/
if [[ -d $shared/data/SST-2 ]]; then
  mkdir -p .gpu/shared/data/SST-2 .gpu/shared/data/bert-base-uncased
  cp "$shared"/data/SST-2/{train,dev}.tsv .gpu/shared/data/SST-2/
  cp "$shared"/data/bert-base-uncased/vocab.txt .gpu/shared/data/bert-base-uncased/
  [[ -d $shared/seeds ]] && cp -r "$shared/seeds" .gpu/shared/
else
  echo "gpu_bundle: no SST-2 under $shared/data: the GPU training run and the data tests will skip" >&2
fi
echo "gpu_bundle: wrote .gpu/ ($(du -sh .gpu | cut -f1))"
