// The model a job server loads once at start (a model file compiled now, or a
// built engine), and sessions of it for the task worker's lanes.
#pragma once

#include <memory>
#include <string>

#include "resr/model.hpp"

namespace resr {

class ModelRuntime {
 public:
  // Errors: as open_model.
  static Result<std::unique_ptr<ModelRuntime>> load(const ModelRequest& request);

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
