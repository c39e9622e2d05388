// The model a job server loads once at start (a model file compiled now, or a
// built engine), and sessions of it for the task worker's lanes.
#pragma once

#include <memory>
#include <string>

#include "engine/runnable_model.hpp"
#include "resr/status.hpp"

namespace resr {

struct ModelRuntimeOptions {
  std::string model;   // an installed model's name or a model file
  std::string engine;  // an engine file from `build`; wins over `model` when set
  std::string models_dir;
  std::string srvgg_activation;
  std::string backend = "cpu";
  int threads = 0;
  // fp32 | bf16 | auto; empty: fp32, or the engine's. An engine refuses another one.
  std::string precision;
};

class ModelRuntime {
 public:
  // Errors: as resolve_model_argument, load_model, choose_precision, compile_model,
  // load_engine and check_engine_precision.
  static Result<std::unique_ptr<ModelRuntime>> load(const ModelRuntimeOptions& options);

  const RunnableModel& model() const { return model_; }
  const std::string& name() const { return name_; }  // as configured (-m or -e)
  int threads() const { return threads_; }
  // A session for one thread (each lane of the task worker has its own).
  std::unique_ptr<Session> new_session() const { return model_.compiled->new_session(); }

 private:
  ModelRuntime() = default;
  RunnableModel model_;
  std::string name_;
  int threads_ = 0;
};

}  // namespace resr
