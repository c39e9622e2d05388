#include "model_options.hpp"

#include <cstdio>

namespace resr {

void ModelOptions::add_to(CLI::App& cmd) {
  cmd.add_option("-m,--model", model,
                 "model name (see `models list`) or path to a .pth, .safetensors, ncnn .param or "
                 ".onnx file")
      ->capture_default_str();
  cmd.add_option("--models-dir", models_dir,
                 "where named models are installed (default: $REAL_ESRGAN_MODELS or ./models)");
  cmd.add_option("--srvgg-activation", srvgg_activation,
                 "activation of an SRVGGNetCompact .pth/.safetensors without PReLU weights")
      ->check(CLI::IsMember({"relu", "leakyrelu"}));
}

ModelRequest ModelOptions::request(ModelRequest base) const {
  base.model = model;
  base.models_dir = models_dir;
  base.srvgg_activation = srvgg_activation;
  return base;
}

int report_error(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return exit_code_for(status.code());
}

}  // namespace resr
