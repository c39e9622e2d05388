// `real-esrgan-serve export-onnx -m MODEL -o OUT.onnx [--opset N] [--static H W]`
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

void add_export_onnx_command(CLI::App& app, int& exit_code);

}  // namespace resr
