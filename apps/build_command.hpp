// `real-esrgan-serve build (-m MODEL | --onnx FILE) --engine OUT [--backend cpu]
//  [--precision fp32|bf16|auto] [--tile-profile MIN:OPT:MAX]`
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

void add_build_command(CLI::App& app, int& exit_code);

}  // namespace resr
