#!/usr/bin/env bash
# Refuses an #include "layer/..." that a file's layer may not see
# (docs/architecture.md). Usage: tools/check-layers.sh [SOURCE_ROOT]
# The front ends (apps/, src/server/) see only the public API (include/resr/)
# and their own code; a library layer sees only the layers below it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --self-test: the check must refuse a core file that includes the server and a
# front end that includes a layer below the public API.
if [[ ${1:-} == --self-test ]]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp -r "$here/../src" "$here/../apps" "$here/../include" "$scratch"
  "$here/check-layers.sh" "$scratch" 2>/dev/null || { echo "the tree itself fails" >&2; exit 1; }
  for probe in 'src/core/tensor.cpp:server/job_server.hpp' 'apps/main.cpp:image/image_loader.hpp'; do
    file=${probe%%:*}
    cp "$here/../$file" "$scratch/$file"
    echo "#include \"${probe#*:}\"" >>"$scratch/$file"
    if "$here/check-layers.sh" "$scratch" 2>/dev/null; then
      echo "not refused: $file including ${probe#*:}" >&2
      exit 1
    fi
    cp "$here/../$file" "$scratch/$file"
  done
  echo "the check refuses both probes" >&2
  exit 0
fi

root=${1:-$here/..}
cd "$root"

# What each layer may include, besides itself.
declare -A allowed=(
  [core]=""
  [backend]="core"
  [model]="core"
  [engine]="core model backend"
  [tiling]="core backend"
  [image]="core backend tiling"
  [video]="core backend tiling"
  [api]="core model backend engine tiling image video"
  [cli]="core"
  [server]="status api"
  [apps]="status api cli server"
)

# The layer a header path (as written in an #include) belongs to.
layer_of_include() {
  case $1 in
    resr/status.hpp) echo status ;;  # the error type every layer shares
    resr/*) echo api ;;
    *) echo "${1%%/*}" ;;
  esac
}

layer_of_file() {
  case $1 in
    apps/*) echo apps ;;
    include/resr/status.hpp) echo core ;;
    include/resr/*) echo api ;;
    src/*) local rest=${1#src/}; echo "${rest%%/*}" ;;
  esac
}

failures=0
while IFS= read -r file; do
  layer=$(layer_of_file "$file")
  [[ -n ${allowed[$layer]+set} ]] || { echo "$file: no layer '$layer' in tools/check-layers.sh" >&2; failures=$((failures + 1)); continue; }
  while IFS= read -r included; do
    target=$(layer_of_include "$included")
    # A front end's own headers sit beside it (apps/*.hpp) and have no layer prefix.
    [[ $included == */* ]] || continue
    [[ $target == "$layer" || $target == status ]] && continue
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "$file: includes \"$included\": the $layer layer may not see $target (allowed: ${allowed[$layer]:-none})" >&2
      failures=$((failures + 1))
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find src apps include -name '*.hpp' -o -name '*.cpp' | sort)

if ((failures > 0)); then
  echo "$failures include(s) cross the layering" >&2
  exit 1
fi
echo "layering holds" >&2
