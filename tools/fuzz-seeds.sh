#!/usr/bin/env bash
# Writes seed inputs for one fuzz target into a directory: the test fixtures
# of its format, so that fuzzing starts from files that load and reaches the
# lowering and recognition code within its time, not only the outer parser.
# Usage: tools/fuzz-seeds.sh TARGET DIR   (TARGET: fuzz_onnx, fuzz_ncnn_param, ...)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=$1
out=$2
mkdir -p "$out"
cd "$root/tests/data"
case "$target" in
  fuzz_onnx) cp graph_formats/*.onnx golden/srvgg_*.onnx "$out" ;;
  fuzz_pth) cp formats/*.pth "$out" ;;
  fuzz_safetensors) cp formats/*.safetensors golden/srvgg_*.safetensors "$out" ;;
  fuzz_ncnn_param)
    # The target reads .param, a NUL byte, then .bin.
    for param in graph_formats/*.param golden/srvgg_*.param; do
      bin=${param%.param}.bin
      if [[ -f $bin ]]; then
        { cat "$param"; printf '\0'; cat "$bin"; } >"$out/$(basename "$param").seed"
      fi
    done
    ;;
  *) ;;  # no fixtures of its format: fuzz_engine_file has its own corpus in fuzz/corpus
esac
