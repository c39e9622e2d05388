// The root command: `real-esrgan-serve -i IN [-o OUT] [options]` upscales a
// file or every image in a folder.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

namespace resr {

struct UpscaleArgs;

// Adds the upscale options to the root app; returns the arguments it fills.
std::shared_ptr<UpscaleArgs> add_upscale_options(CLI::App& app);
bool upscale_requested(const UpscaleArgs& args);
int run_upscale(const UpscaleArgs& args);

}  // namespace resr
