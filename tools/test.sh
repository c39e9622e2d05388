#!/usr/bin/env bash
# The project's test command (CI runs exactly this):
#   format check, Release build with -Werror, model download, ctest, fuzzing.
# Environment: BUILD_DIR (default build), FUZZ_BUILD_DIR (default build-fuzz),
# FUZZ_SECONDS per fuzz target (default 60), JOBS (default: all cores).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-build}
fuzz_build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
fuzz_seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-$(nproc)}
export REAL_ESRGAN_MODELS="$root/models"

# Elapsed time on every step, to keep CI within its budget.
step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*" >&2; }

step "clang-format"
mapfile -t sources < <(find include src apps tests bench fuzz -type f \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) 2>/dev/null | sort)
clang-format --dry-run -Werror "${sources[@]}"

step "build (Release, -Werror) in $build_dir"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DRESR_WERROR=ON
cmake --build "$build_dir" -j "$jobs"

step "models into $REAL_ESRGAN_MODELS"
"$build_dir/real-esrgan-serve" models fetch all --models-dir "$REAL_ESRGAN_MODELS"

# ONNX Runtime is the independent check of export-onnx (and the benchmark peer).
# --ignore-scripts: its install script fetches GPU extras no machine here reaches.
step "ONNX Runtime (npm onnxruntime-node) into .peers"
if [[ ! -d .peers/node_modules/onnxruntime-node ]]; then
  npm install --ignore-scripts --no-audit --no-fund --prefix .peers onnxruntime-node@1.30.0
fi

# The web page's browser test drives Debian's chromium with playwright-core,
# which downloads no browser of its own.
step "playwright-core (npm) into .peers"
if [[ ! -d .peers/node_modules/playwright-core ]]; then
  npm install --ignore-scripts --no-audit --no-fund --prefix .peers playwright-core@1.65.2
fi

step "ctest"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"

step "fuzz (${fuzz_seconds}s per target)"
if ! compgen -G 'fuzz/*.cpp' >/dev/null || [[ ! -f fuzz/CMakeLists.txt ]]; then
  echo "fuzz/ has no targets yet: skipping" >&2
  step "passed"
  exit 0
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B "$fuzz_build_dir" -G "Unix Makefiles" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRESR_FUZZ=ON -DRESR_SANITIZE=ON
# Only the fuzz directory's targets (and what they link), not the tests again.
make -C "$fuzz_build_dir/fuzz" -j "$jobs"
mapfile -t targets < <(find "$fuzz_build_dir/fuzz" -maxdepth 1 -type f -executable | sort)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "the fuzz build produced no targets" >&2
  exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for target in "${targets[@]}"; do
  name=$(basename "$target")
  # New inputs go to a scratch corpus, which starts from the test fixtures of
  # the target's format; a checked-in seed corpus stays read-only.
  corpus=$(mktemp -d)
  tools/fuzz-seeds.sh "$name" "$corpus"
  seeds=()
  if [[ -d "fuzz/corpus/$name" ]]; then seeds=("fuzz/corpus/$name"); fi
  step "fuzz $name"
  "$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$fuzz_build_dir/$name-" "$corpus" "${seeds[@]}"
  rm -rf "$corpus"
done
step "passed"
