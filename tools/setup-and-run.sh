#!/usr/bin/env bash
# From a fresh Debian 12 checkout to an upscaled image: installs the packages,
# builds, fetches the default model and upscales the sample photo 4x into
# out/sample_x4.png.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export REAL_ESRGAN_MODELS="$root/models"

tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
build/real-esrgan-serve models fetch realesrgan-x4plus
mkdir -p out
build/real-esrgan-serve -i tests/data/images/sample.png -o out/sample_x4.png -m realesrgan-x4plus
echo "wrote $root/out/sample_x4.png" >&2
