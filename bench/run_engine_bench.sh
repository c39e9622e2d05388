#!/usr/bin/env bash
# The cpu backend's engine throughput next to the machine's fp32 FMA peak,
# measured in the same run (one peak_fma.c copy per thread, all at once), and
# ONNX Runtime on the same shapes when an exported model and the npm package
# are there.
#
#   bench/run_engine_bench.sh BUILD_DIR [bench_engine args...]
# Environment: THREADS (2), ROUNDS (1: repeat ours and the peer alternately, as
# load on a shared machine drifts), CASES (MODEL:SIZE list that ours and the
# peer both run; default "realesrgan-x4plus:128 realesr-general-x4v3:256"),
# PEERS (shared/peers beside the repo), ONNX_DIR (/work/models-cache:
# realesrgan-x4plus.onnx, realesr-general-x4v3.onnx from `real-esrgan-serve
# export-onnx`), ORT_NODE (path to node_modules/onnxruntime-node).
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [bench_engine args...]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
threads=${THREADS:-2}
rounds=${ROUNDS:-1}
cases=${CASES:-realesrgan-x4plus:128 realesr-general-x4v3:256}
peers=${PEERS:-$repo/../shared/peers}
onnx_dir=${ONNX_DIR:-/work/models-cache}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load before: $(uptime)"
peak=0
if [[ -f $peers/peak_fma.c ]] && gcc -O2 -mavx512f "$peers/peak_fma.c" -o "$work/peak_fma"; then
  for ((i = 0; i < threads; i++)); do "$work/peak_fma" >"$work/peak.$i" & done
  wait
  peak=$(cat "$work"/peak.* | sed -n 's/.*GFLOP\/s=//p' | awk '{s += $1} END {printf "%.1f", s}')
  echo "fp32 FMA peak, $threads threads: $peak GFLOP/s"
else
  echo "peak_fma.c not found or not compilable: no peak fraction"
fi

case_args=()
for spec in $cases; do case_args+=(--case "$spec"); done
for ((round = 1; round <= rounds; round++)); do
  (cd "$repo" && "$build/bench/bench_engine" --threads "$threads" --peak-gflops "$peak" \
    "${case_args[@]}" "$@")
  if [[ -n ${ORT_NODE:-} && -d $onnx_dir ]]; then
    for spec in $cases; do
      model=$onnx_dir/${spec%%:*}.onnx size=${spec##*:}
      [[ -f $model ]] || continue
      echo -n "onnxruntime ${spec%%:*} ${size}x${size} threads=$threads: "
      ORT_NODE=$ORT_NODE node "$peers/ort_peer.js" "$model" "$size" "$size" 5 "$threads"
    done
  fi
done
echo "load after: $(uptime)"
