// Public API: opening a model for a front end (CLI, server, video). A model is
// an installed model's name or a model file, loaded and compiled now, or an
// engine file made by `build`, loaded as it was built.
//
//   RESR_ASSIGN_OR_RETURN(RunnableModel model, open_model({.model = "realesrgan-x4plus"}));
//   std::unique_ptr<Session> session = model.compiled->new_session();
#pragma once

#include <memory>
#include <string>

#include "engine/runnable_model.hpp"
#include "engine/tile_profile.hpp"
#include "model/model.hpp"
#include "resr/status.hpp"

namespace resr {

struct ModelRequest {
  std::string model;             // an installed model's name or a model file (when no engine)
  std::string engine;            // an engine file from `build`; wins over `model` when set
  std::string models_dir;        // empty: $REAL_ESRGAN_MODELS, else ./models
  std::string srvgg_activation;  // for an SRVGGNetCompact file without PReLU weights
  // Empty: "cpu", or the engine's. An engine refuses another one.
  std::string backend;
  int threads = 0;  // 0: all cores
  // fp32 | bf16 | auto; empty: fp32, or the engine's. An engine refuses another one.
  std::string precision;
};

// Resolves request.model (a file, or a model installed in the models directory)
// and loads it. Errors: as resolve_model_argument and load_model.
Result<std::shared_ptr<const Model>> read_model(const ModelRequest& request);

// Compiles `model` on request.backend at request.precision (request.model and
// request.engine are not read). Errors: as make_backend, choose_precision, compile_model.
Result<RunnableModel> compile_model_for(const Model& model, const ModelRequest& request);

// Errors: as read_model, make_backend, choose_precision,
// compile_model and load_engine; kInvalidArgument for an engine asked to run on
// another backend or at another precision than it was built for.
Result<RunnableModel> open_model(const ModelRequest& request);

}  // namespace resr
