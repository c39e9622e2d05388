#include "build_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "model_options.hpp"
#include "resr/model.hpp"

namespace resr {

namespace {

struct BuildArgs {
  ModelOptions model;
  std::string onnx;
  std::string engine;
  std::string backend = "cpu";
  std::string precision = "fp32";
  std::string tile_profile;
};

Status build(const BuildArgs& args) {
  std::optional<TileProfile> profile;
  if (!args.tile_profile.empty()) {
    RESR_ASSIGN_OR_RETURN(profile, parse_tile_profile(args.tile_profile));
  }
  ModelRequest request = args.model.request();
  request.backend = args.backend;
  request.precision = args.precision;
  if (!args.onnx.empty()) request.model = args.onnx;
  RESR_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, read_model(request));
  if (!args.onnx.empty() && model->info.format != "onnx") {
    return error(ErrorCode::kInvalidArgument, "--onnx " + args.onnx + " is a " +
                                                  model->info.format +
                                                  " file, not ONNX; pass it with -m instead");
  }
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(args.backend));
  RESR_ASSIGN_OR_RETURN(RunnableModel runnable, compile_model_for(*model, request));
  RESR_RETURN_IF_ERROR(write_engine(runnable, profile, args.engine));
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(args.engine, ec);
  std::fprintf(stderr, "wrote %s: %s x%d from %s, %s backend (%s), %s, tile profile %s, %.1f MB\n",
               args.engine.c_str(), model->info.arch.c_str(), model->info.scale,
               model->info.source.c_str(), args.backend.c_str(), backend->target().c_str(),
               precision_name(runnable.precision), profile ? to_string(*profile).c_str() : "none",
               ec ? 0.0 : bytes / 1e6);
  return Status::ok();
}

}  // namespace

void add_build_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BuildArgs>();
  CLI::App* cmd = app.add_subcommand(
      "build", "compile a model into an engine file for this machine (weights pre-packed)");
  args->model.add_to(*cmd);
  cmd->add_option("--onnx", args->onnx, "an ONNX model to build from (instead of -m)")
      ->excludes(cmd->get_option("--model"));
  cmd->add_option("--engine", args->engine, "the engine file to write")->required();
  cmd->add_option("--backend", args->backend, "backend to build for (cpu)")->capture_default_str();
  cmd->add_option("--precision", args->precision, "fp32, bf16 or auto")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("--tile-profile", args->tile_profile,
                  "MIN:OPT:MAX tile sides in input pixels; runs use OPT unless -t says "
                  "otherwise (kept within MIN..MAX); larger inputs are tiled");
  cmd->callback([args, &exit_code] {
    const Status s = build(*args);
    exit_code = s.is_ok() ? 0 : report_error(s);
  });
}

}  // namespace resr
