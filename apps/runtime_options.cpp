#include "runtime_options.hpp"

#include "numeric_flags.hpp"

namespace resr {

void RuntimeOptions::add_to(CLI::App& cmd) {
  model.add_to(cmd);
  model_flag_ = cmd.get_option("--model");
  cmd.add_option("-e,--engine", engine,
                 "an engine file made by `build` (instead of -m: loads without converting)")
      ->excludes(model_flag_);
  backend_flag_ = cmd.add_option("--backend", backend, "execution backend: cpu or reference")
                      ->capture_default_str();
  cmd.add_option("-j,--threads", threads, "threads (0 = all cores)")->check(thread_count_range());
  precision_flag_ = cmd.add_option("--precision", precision,
                                   "fp32, bf16 (needs AVX512-BF16) or auto (bf16 where it "
                                   "measures faster than fp32 on this CPU)")
                        ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
                        ->capture_default_str();
}

ModelRequest RuntimeOptions::request() const {
  ModelRequest request = model.request();
  request.engine = engine;
  request.threads = threads;
  // An engine runs on the backend and at the precision it was built for
  // unless a flag asks for others (which it then refuses).
  const bool for_engine = !engine.empty();
  if (!for_engine || backend_flag_->count() > 0) request.backend = backend;
  if (!for_engine || precision_flag_->count() > 0) request.precision = precision;
  return request;
}

}  // namespace resr
