#include "engine/runnable_model.hpp"

#include "core/sha256.hpp"
#include "engine/engine_file.hpp"

namespace resr {

namespace {

// The source file's checksum, so an engine says exactly what it was built from
// (ncnn models are two files: the .param's and the .bin's digests).
Result<std::string> source_checksum(const ModelInfo& info) {
  std::filesystem::path source = info.source;
  if (info.format != "ncnn") return sha256_file(source);
  RESR_ASSIGN_OR_RETURN(std::string param, sha256_file(source.replace_extension(".param")));
  RESR_ASSIGN_OR_RETURN(std::string bin, sha256_file(source.replace_extension(".bin")));
  return param + " " + bin;
}

}  // namespace

int RunnableModel::input_multiple() const {
  int multiple = 1;
  for (const Node& n : graph.nodes)
    if (n.kind == OpKind::kPixelUnshuffle) multiple *= n.factor;
  return multiple;
}

Result<Precision> choose_precision(const Backend& backend, const std::string& requested) {
  if (requested == "fp32") return Precision::kFp32;
  if (requested == "auto") return backend.fastest_precision();
  if (requested == "bf16") {
    if (backend.supports(Precision::kBf16)) return Precision::kBf16;
    return error(ErrorCode::kUnsupported,
                 "--precision bf16: the " + backend.name() + " backend cannot run bf16 on " +
                     "this machine (the cpu backend needs AVX512-BF16); use fp32 or auto");
  }
  return error(ErrorCode::kInvalidArgument,
               "unknown precision '" + requested + "'; use fp32, bf16 or auto");
}

Status check_engine_precision(const RunnableModel& engine, const std::filesystem::path& path,
                              const std::string& requested) {
  if (requested.empty() || requested == "auto" || requested == precision_name(engine.precision)) {
    return Status::ok();
  }
  return error(ErrorCode::kInvalidArgument,
               "--precision " + requested + ": engine " + path.string() + " was built for " +
                   precision_name(engine.precision) + "; rebuild it with --precision " + requested +
                   " or drop --precision");
}

Result<RunnableModel> compile_model(const Model& model, const std::string& backend_name,
                                    const BackendOptions& options) {
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(backend_name));
  RunnableModel runnable;
  RESR_ASSIGN_OR_RETURN(runnable.compiled, backend->compile(model.graph, options));
  runnable.info = model.info;
  // The structure only, as from an engine (PReLU slopes are part of it): the
  // backend holds its own copy of the weights, and a second one would cost the
  // model's size again.
  runnable.graph = model.graph;
  for (ConvLayer& c : runnable.graph.convs) {
    c.weight = {};
    c.bias = {};
  }
  runnable.backend = backend_name;
  runnable.precision = options.precision;
  return runnable;
}

Result<RunnableModel> load_engine(const std::filesystem::path& path,
                                  const BackendOptions& options) {
  RESR_ASSIGN_OR_RETURN(EngineFile engine, read_engine_file(path));
  const EngineHeader& h = engine.header;
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(h.backend));
  if (backend->target() != h.target) {
    return error(ErrorCode::kUnsupported,
                 "engine file " + path.string() + " was built for " + h.backend + " target '" +
                     h.target + "', but this machine is '" + backend->target() +
                     "'; rebuild it here with `real-esrgan-serve build -m MODEL --engine " +
                     path.string() + "`");
  }
  BackendOptions engine_options = options;
  engine_options.precision = h.precision;
  RunnableModel runnable;
  RESR_ASSIGN_OR_RETURN(runnable.compiled,
                        backend->compile_packed(engine.graph, engine.blobs, engine_options));
  runnable.info = h.model;
  runnable.graph = std::move(engine.graph);
  runnable.backend = h.backend;
  runnable.precision = h.precision;
  runnable.tile_profile = h.tile_profile;
  return runnable;
}

Status write_engine(const RunnableModel& model, const std::optional<TileProfile>& profile,
                    const std::filesystem::path& path) {
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, make_backend(model.backend));
  EngineFile engine;
  EngineHeader& h = engine.header;
  h.producer = std::string("real-esrgan-serve ") + RESR_VERSION;
  h.backend = model.backend;
  h.target = backend->target();
  h.precision = model.precision;
  h.tile_profile = profile;
  h.model = model.info;
  RESR_ASSIGN_OR_RETURN(h.source_sha256, source_checksum(model.info));
  engine.graph = model.graph;
  RESR_ASSIGN_OR_RETURN(engine.blobs, model.compiled->pack());
  return write_engine_file(path, engine);
}

}  // namespace resr
