// real-esrgan-serve: one binary, subcommands registered by their own files.
#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"real-esrgan-serve: Real-ESRGAN super-resolution on the CPU"};
  app.set_version_flag("--version", RESR_VERSION);
  int exit_code = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
