// The model-selection options every subcommand that runs a model shares:
// -m NAME|PATH, --models-dir, --srvgg-activation.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "model/model.hpp"
#include "model/zoo/model_catalog.hpp"

namespace resr {

struct ModelOptions {
  std::string model = std::string(kDefaultModelName);
  std::string models_dir;
  std::string srvgg_activation;

  void add_to(CLI::App& cmd);
  // Resolves -m (a file, or a model installed in the models directory) and loads it.
  Result<std::shared_ptr<const Model>> load() const;
};

// Prints "error: <message>" on stderr and returns the documented exit code.
int report_error(const Status& status);

}  // namespace resr
