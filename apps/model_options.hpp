// The model-selection options every subcommand that runs a model shares:
// -m NAME|PATH, --models-dir, --srvgg-activation.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "resr/models.hpp"

namespace resr {

struct ModelOptions {
  std::string model = std::string(kDefaultModelName);
  std::string models_dir;
  std::string srvgg_activation;

  void add_to(CLI::App& cmd);
  // -m as a request to open (the rest of it left as it is in `base`).
  ModelRequest request(ModelRequest base = {}) const;
  // Resolves -m (a file, or a model installed in the models directory) and loads it.
  Result<std::shared_ptr<const Model>> load() const { return read_model(request()); }
};

// Prints "error: <message>" on stderr and returns the documented exit code.
int report_error(const Status& status);

}  // namespace resr
