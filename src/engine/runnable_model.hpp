// A model ready to run: compiled from a model file now, or loaded from an
// engine file that `build` compiled earlier. What a front end (CLI, server,
// video) holds for its lifetime; each run takes a session from `compiled`.
//
//   RESR_ASSIGN_OR_RETURN(RunnableModel m, load_engine("x4plus.engine", {.threads = 2}));
//   std::unique_ptr<Session> session = m.compiled->new_session();
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "engine/tile_profile.hpp"
#include "model/model.hpp"

namespace resr {

struct RunnableModel {
  ModelInfo info;
  Graph graph;  // from an engine: the structure only, its weights are packed in `compiled`
  std::string backend;
  Precision precision = Precision::kFp32;
  std::optional<TileProfile> tile_profile;  // an engine's
  std::shared_ptr<const CompiledModel> compiled;

  // The input sides must be multiples of this (pixel-unshuffle models).
  int input_multiple() const;
};

// "fp32", "bf16", or "auto": the one `backend` runs fastest here (bf16 only
// where the CPU has it and it measures faster than fp32).
Result<Precision> choose_precision(const Backend& backend, const std::string& requested);

Result<RunnableModel> compile_model(const Model& model, const std::string& backend,
                                    const BackendOptions& options);

// Loads an engine file for this machine. options.precision is ignored: an
// engine runs at the precision it was built for. Refuses (kUnsupported, saying
// to rebuild) an engine built for another backend target, such as another CPU.
Result<RunnableModel> load_engine(const std::filesystem::path& path, const BackendOptions& options);

// kInvalidArgument when `requested` ("fp32" or "bf16"; "auto" and "" accept
// any) is not the precision `engine`, loaded from `path`, was built for.
Status check_engine_precision(const RunnableModel& engine, const std::filesystem::path& path,
                              const std::string& requested);

// Writes `model` (compiled from a model file) as an engine file.
Status write_engine(const RunnableModel& model, const std::optional<TileProfile>& profile,
                    const std::filesystem::path& path);

}  // namespace resr
