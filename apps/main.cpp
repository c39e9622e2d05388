// real-esrgan-serve: one binary, subcommands registered by their own files.
#include <CLI/CLI.hpp>

#include "build_command.hpp"
#include "export_onnx_command.hpp"
#include "models_command.hpp"
#include "resr/status.hpp"
#include "server_command.hpp"
#include "upscale_command.hpp"
#include "video_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "real-esrgan-serve: Real-ESRGAN super-resolution on the CPU\n"
      "  real-esrgan-serve -i photo.jpg [-o out.png] [-m MODEL] [-s 2] ...\n"
      "  real-esrgan-serve models list|fetch NAME|all\n"
      "  real-esrgan-serve build -m MODEL --engine model.engine\n"
      "  real-esrgan-serve export-onnx -m MODEL -o model.onnx\n"
      "  real-esrgan-serve video -i in.mp4 -o out.mp4 [-m MODEL] [-s 2] ...\n"
      "  real-esrgan-serve server start|stop|status [-p 8080] [-m MODEL] [--daemon]"};
  app.set_version_flag("--version", RESR_VERSION);
  int exit_code = 0;
  auto upscale = resr::add_upscale_options(app);
  resr::add_models_command(app, exit_code);
  resr::add_build_command(app, exit_code);
  resr::add_export_onnx_command(app, exit_code);
  resr::add_video_command(app, exit_code);
  resr::add_server_command(app, exit_code);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message; --help and --version are not errors.
    return app.exit(e) == 0 ? 0 : resr::exit_code_for(resr::ErrorCode::kInvalidArgument);
  }
  if (!app.get_subcommands().empty()) return exit_code;
  if (!resr::upscale_requested(*upscale)) {
    std::fprintf(stderr, "%s\nerror: nothing to do: give -i INPUT or a subcommand\n",
                 app.help().c_str());
    return resr::exit_code_for(resr::ErrorCode::kInvalidArgument);
  }
  return resr::run_upscale(*upscale);
}
