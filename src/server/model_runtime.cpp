#include "server/model_runtime.hpp"

#include "model/zoo/model_directory.hpp"

namespace resr {

Result<std::unique_ptr<ModelRuntime>> ModelRuntime::load(const ModelRuntimeOptions& options) {
  std::unique_ptr<ModelRuntime> runtime(new ModelRuntime());
  BackendOptions backend_options;
  backend_options.threads = options.threads;
  if (options.engine.empty()) {
    RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(options.backend));
    RESR_ASSIGN_OR_RETURN(
        backend_options.precision,
        choose_precision(*backend, options.precision.empty() ? "fp32" : options.precision));
    RESR_ASSIGN_OR_RETURN(
        std::filesystem::path path,
        resolve_model_argument(options.model, resolve_models_directory(options.models_dir)));
    RESR_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          load_model(path, LoadOptions{options.srvgg_activation}));
    RESR_ASSIGN_OR_RETURN(runtime->model_, compile_model(*model, options.backend, backend_options));
    runtime->name_ = options.model;
  } else {
    RESR_ASSIGN_OR_RETURN(runtime->model_, load_engine(options.engine, backend_options));
    RESR_RETURN_IF_ERROR(
        check_engine_precision(runtime->model_, options.engine, options.precision));
    runtime->name_ = options.engine;
  }
  runtime->threads_ = resolve_thread_count(options.threads);
  return runtime;
}

}  // namespace resr
