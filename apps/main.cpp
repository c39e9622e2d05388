// real-esrgan-serve: one binary, subcommands registered by their own files.
#include <CLI/CLI.hpp>

#include "models_command.hpp"
#include "resr/status.hpp"

int main(int argc, char** argv) {
  CLI::App app{"real-esrgan-serve: Real-ESRGAN super-resolution on the CPU"};
  app.set_version_flag("--version", RESR_VERSION);
  int exit_code = 0;
  resr::add_models_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message; --help and --version are not errors.
    return app.exit(e) == 0 ? 0 : resr::exit_code_for(resr::ErrorCode::kInvalidArgument);
  }
  return exit_code;
}
