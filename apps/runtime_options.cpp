#include "runtime_options.hpp"

#include <limits>

namespace resr {

void RuntimeOptions::add_to(CLI::App& cmd) {
  model.add_to(cmd);
  model_flag_ = cmd.get_option("--model");
  cmd.add_option("-e,--engine", engine,
                 "an engine file made by `build` (instead of -m: loads without converting)")
      ->excludes(model_flag_);
  backend_flag_ = cmd.add_option("--backend", backend, "execution backend: cpu or reference")
                      ->capture_default_str();
  cmd.add_option("-j,--threads", threads, "threads (0 = all cores)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  precision_flag_ = cmd.add_option("--precision", precision,
                                   "fp32, bf16 (needs AVX512-BF16) or auto (bf16 where it "
                                   "measures faster than fp32 on this CPU)")
                        ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
                        ->capture_default_str();
}

Result<RunnableModel> RuntimeOptions::prepare() const {
  BackendOptions options;
  options.threads = threads;
  if (engine.empty()) {
    RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> chosen, make_backend(backend));
    RESR_ASSIGN_OR_RETURN(options.precision, choose_precision(*chosen, precision));
    RESR_ASSIGN_OR_RETURN(std::shared_ptr<const Model> loaded, model.load());
    return compile_model(*loaded, backend, options);
  }
  RESR_ASSIGN_OR_RETURN(RunnableModel runnable, load_engine(engine, options));
  if (backend_flag_->count() > 0 && backend != runnable.backend) {
    return error(ErrorCode::kInvalidArgument, "--backend " + backend + ": engine " + engine +
                                                  " was built for the " + runnable.backend +
                                                  " backend; rebuild it with --backend " + backend +
                                                  " or drop --backend");
  }
  if (precision_flag_->count() > 0) {
    RESR_RETURN_IF_ERROR(check_engine_precision(runnable, engine, precision));
  }
  return runnable;
}

}  // namespace resr
