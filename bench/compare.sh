#!/usr/bin/env bash
# Issue 6's table in one run: the project end to end through the CLI (decode +
# infer + encode of a real photo) against ONNX Runtime's and PyTorch's pure
# inference on the same size, same threads, printed as ratios, plus peak RSS.
#
#   bench/compare.sh BUILD_DIR
# Environment: THREADS (2), REPS (3), MODELS (REAL_ESRGAN_MODELS or models),
# ORT_NODE (default .peers/node_modules/onnxruntime-node), PEERS (../shared/peers),
# TORCH_SIZE (256; PyTorch needs ~19 GB there, 0 skips it).
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
threads=${THREADS:-2}
reps=${REPS:-3}
models=${MODELS:-${REAL_ESRGAN_MODELS:-$repo/models}}
ort_node=${ORT_NODE:-$repo/.peers/node_modules/onnxruntime-node}
peers=${PEERS:-$repo/../shared/peers}
torch_size=${TORCH_SIZE:-256}
bin=$build/real-esrgan-serve
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load before: $(uptime)"
# Real photos (scikit-image's public-domain astronaut), at the sizes the targets name.
/usr/bin/python3 - "$work" <<'PY'
import sys
from PIL import Image
from skimage import data
photo = Image.fromarray(data.astronaut())
for side in (256, 512, 1024):
    photo.resize((side, side), Image.LANCZOS).save(f"{sys.argv[1]}/astronaut_{side}.png")
PY
for model in realesrgan-x4plus realesr-general-x4v3; do
  "$bin" export-onnx -m "$model" --models-dir "$models" -o "$work/$model.onnx" 2>/dev/null
done

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# Median wall seconds of REPS CLI runs: upscale_ours MODEL SIZE [flags...]
upscale_ours() {
  local model=$1 size=$2
  shift 2
  for ((i = 0; i < reps; i++)); do
    local start
    start=$(date +%s.%N)
    "$bin" -m "$model" --models-dir "$models" -j "$threads" -q --overwrite \
      -i "$work/astronaut_$size.png" -o "$work/out.png" "$@"
    awk -v end="$(date +%s.%N)" -v start="$start" 'BEGIN {print end - start}'
  done | median
}
ort() {  # ort MODEL SIZE -> median seconds
  ORT_NODE=$ort_node node "$peers/ort_peer.js" "$work/$1.onnx" "$2" "$2" "$reps" "$threads" |
    sed -n 's/.*median=//p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
flops() {  # GFLOP of one run of MODEL at SIZE^2
  "$bin" models info -m "$1" --models-dir "$models" --json |
    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['flops_per_pixel'] * $2 * $2 / 1e9)"
}
peak=0
if gcc -O2 -mavx512f "$peers/peak_fma.c" -o "$work/peak_fma" 2>/dev/null; then
  for ((i = 0; i < threads; i++)); do "$work/peak_fma" >"$work/peak.$i" & done
  wait
  peak=$(cat "$work"/peak.* | sed -n 's/.*GFLOP\/s=//p' | awk '{s += $1} END {printf "%.0f", s}')
fi
echo "fp32 FMA peak, $threads threads, this run: $peak GFLOP/s"

x4_gflop=$(flops realesrgan-x4plus 256)
general_gflop=$(flops realesr-general-x4v3 512)
ours_fp32=$(upscale_ours realesrgan-x4plus 256)
ours_bf16=$(upscale_ours realesrgan-x4plus 256 --precision bf16)
ort_x4=$(ort realesrgan-x4plus 256)
ours_general=$(upscale_ours realesr-general-x4v3 512)
ort_general=$(ort realesr-general-x4v3 512)
torch_x4=skipped
if [[ $torch_size -gt 0 ]]; then
  torch_x4=$(/usr/bin/python3 "$repo/bench/torch_peer.py" "$work/realesrgan-x4plus.onnx" \
    "$torch_size" 1 "$threads" | sed -n 's/.*median=//p')
fi
rss_kb=$(/usr/bin/time -f %M "$bin" -m realesrgan-x4plus --models-dir "$models" -j "$threads" -q \
  --overwrite -i "$work/astronaut_1024.png" -o "$work/out1024.png" 2>&1 >/dev/null | tail -1)

gflops() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a / b}'; }
printf '\n%-44s %9s %9s %8s %s\n' "case (2 threads, median of $reps)" ours peer ratio "GFLOP/s (peak $peak)"
printf '%-44s %8.2fs %8.2fs %7.2fx %s\n' "x4plus fp32 256² CLI vs ORT" "$ours_fp32" "$ort_x4" \
  "$(ratio "$ort_x4" "$ours_fp32")" "$(gflops "$x4_gflop" "$ours_fp32") vs $(gflops "$x4_gflop" "$ort_x4")"
if [[ $torch_x4 != skipped ]]; then
  printf '%-44s %8.2fs %8.2fs %7.2fx\n' "x4plus fp32 256² CLI vs PyTorch ${torch_size}²" \
    "$ours_fp32" "$torch_x4" "$(ratio "$torch_x4" "$ours_fp32")"
fi
printf '%-44s %8.2fs %8.2fs %7.2fx %s\n' "x4plus bf16 256² CLI vs ORT fp32" "$ours_bf16" "$ort_x4" \
  "$(ratio "$ort_x4" "$ours_bf16")" "$(gflops "$x4_gflop" "$ours_bf16")"
printf '%-44s %8.2fs %8.2fs %7.2fx %s\n' "general-x4v3 fp32 512² CLI vs ORT" "$ours_general" \
  "$ort_general" "$(ratio "$ort_general" "$ours_general")" \
  "$(gflops "$general_gflop" "$ours_general") vs $(gflops "$general_gflop" "$ort_general")"
printf '%-44s %8d MiB (target <= 1024)\n' "peak RSS, x4plus 1024² CLI, defaults" $((rss_kb / 1024))
echo "load after: $(uptime)"
