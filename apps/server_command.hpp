// `real-esrgan-serve server start|stop|status`: the persistent job server.
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

// Registers the `server` subcommand; its exit code goes to `exit_code`, which
// must outlive `app`'s parsing.
void add_server_command(CLI::App& app, int& exit_code);

}  // namespace resr
