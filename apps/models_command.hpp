// `real-esrgan-serve models list|fetch`: the known models and their installation.
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

// Registers the `models` subcommand on `app`. When it runs, it stores the
// process exit code (0, or exit_code_for() of the error) in `exit_code`, which
// must outlive `app`'s parsing.
void add_models_command(CLI::App& app, int& exit_code);

}  // namespace resr
