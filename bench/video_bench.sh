#!/usr/bin/env bash
# The video pipeline's end-to-end speed next to the model alone on the same
# frames: a 480p clip made by ffmpeg, upscaled x4 with realesr-animevideov3.
# The pipeline hides decoding and encoding when end-to-end fps is close to the
# inference-only fps (target: >= 90%).
#
#   bench/video_bench.sh BUILD_DIR
# Environment: FRAMES (24), SIZE (854x480), MODEL (realesr-animevideov3),
# PRESET (libx264 preset of the end-to-end run: veryfast), THREADS (0 = all
# cores), REAL_ESRGAN_MODELS (where the model is installed).
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
bin=$build/real-esrgan-serve
frames=${FRAMES:-24}
size=${SIZE:-854x480}
model=${MODEL:-realesr-animevideov3}
preset=${PRESET:-veryfast}
threads=${THREADS:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=$size:rate=24" -f lavfi -i sine=frequency=440 \
  -frames:v "$frames" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -shortest \
  "$work/in.mp4"
echo "load before: $(uptime)"
echo "input: $size, $frames frames, model $model, threads $threads"

inference=$("$bin" video -i "$work/in.mp4" -m "$model" -j "$threads" --benchmark-inference-only -q)
end_to_end=$("$bin" video -i "$work/in.mp4" -o "$work/out.mp4" -m "$model" -j "$threads" \
  --preset "$preset" --json -q)

/usr/bin/python3 - "$inference" "$end_to_end" <<'PY'
import json, sys
inf = json.loads(sys.argv[1])
e2e = json.loads(sys.argv[2])
w, h = e2e["output_size"]
print(f"inference only: {inf['inference_fps']:.3f} fps ({inf['frames']} frames, {inf['inference_seconds']:.1f} s in the model)")
print(f"end to end:     {e2e['fps']:.3f} fps ({e2e['frames']} frames, {e2e['pipeline_seconds']:.1f} s: decode, model, {e2e['codec']} encode of {w}x{h}, mux)")
print(f"ratio:          {100 * e2e['fps'] / inf['inference_fps']:.1f}% (target >= 90%)")
PY
echo "load after: $(uptime)"
