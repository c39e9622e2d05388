#include "model/zoo/model_directory.hpp"
#include "resr/model.hpp"

namespace resr {

namespace {

Result<RunnableModel> load_engine_file(const ModelRequest& request) {
  BackendOptions options;
  options.threads = request.threads;
  RESR_ASSIGN_OR_RETURN(RunnableModel engine, load_engine(request.engine, options));
  if (!request.backend.empty() && request.backend != engine.backend) {
    return error(ErrorCode::kInvalidArgument, "--backend " + request.backend + ": engine " +
                                                  request.engine + " was built for the " +
                                                  engine.backend +
                                                  " backend; rebuild it with --backend " +
                                                  request.backend + " or drop --backend");
  }
  RESR_RETURN_IF_ERROR(check_engine_precision(engine, request.engine, request.precision));
  return engine;
}

}  // namespace

Result<std::shared_ptr<const Model>> read_model(const ModelRequest& request) {
  RESR_ASSIGN_OR_RETURN(
      std::filesystem::path path,
      resolve_model_argument(request.model, resolve_models_directory(request.models_dir)));
  return load_model(path, LoadOptions{request.srvgg_activation});
}

Result<RunnableModel> compile_model_for(const Model& model, const ModelRequest& request) {
  const std::string backend = request.backend.empty() ? "cpu" : request.backend;
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> chosen, make_backend(backend));
  BackendOptions options;
  options.threads = request.threads;
  RESR_ASSIGN_OR_RETURN(
      options.precision,
      choose_precision(*chosen, request.precision.empty() ? "fp32" : request.precision));
  return compile_model(model, backend, options);
}

Result<RunnableModel> open_model(const ModelRequest& request) {
  if (!request.engine.empty()) return load_engine_file(request);
  RESR_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, read_model(request));
  return compile_model_for(*model, request);
}

}  // namespace resr
