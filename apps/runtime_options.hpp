// What every subcommand that runs a model shares: which model (-m, or a built
// engine with -e) and where it runs (--backend, -j, --precision).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "model_options.hpp"
#include "resr/model.hpp"

namespace resr {

struct RuntimeOptions {
  ModelOptions model;
  std::string engine;
  std::string backend = "cpu";
  int threads = 0;
  std::string precision = "fp32";

  void add_to(CLI::App& cmd);
  // Loads and compiles -m, or loads -e (whose backend and precision are fixed
  // when it was built: a different explicit --backend/--precision is an error).
  Result<RunnableModel> prepare() const { return open_model(request()); }
  ModelRequest request() const;

 private:
  CLI::Option* model_flag_ = nullptr;
  CLI::Option* backend_flag_ = nullptr;
  CLI::Option* precision_flag_ = nullptr;
};

}  // namespace resr
