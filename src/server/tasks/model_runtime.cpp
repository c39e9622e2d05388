#include "server/tasks/model_runtime.hpp"

namespace resr {

Result<std::unique_ptr<ModelRuntime>> ModelRuntime::load(const ModelRequest& request) {
  std::unique_ptr<ModelRuntime> runtime(new ModelRuntime());
  RESR_ASSIGN_OR_RETURN(runtime->model_, open_model(request));
  runtime->name_ = request.engine.empty() ? request.model : request.engine;
  runtime->threads_ = resolve_thread_count(request.threads);
  return runtime;
}

}  // namespace resr
