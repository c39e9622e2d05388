// load_model: reads a file, recognises its format by content, lowers it to a
// Graph through the architecture it holds.
#include <fstream>

#include "model/arch/rrdbnet.hpp"
#include "model/arch/srvgg.hpp"
#include "model/formats/ncnn_format.hpp"
#include "model/formats/onnx/onnx_format.hpp"
#include "model/formats/pth/pth_format.hpp"
#include "model/formats/safetensors_format.hpp"
#include "model/model.hpp"

namespace resr {

namespace {

namespace fs = std::filesystem;

// Real-ESRGAN models are < 100 MB; this only stops a mistaken path from
// reading a disk image into memory.
constexpr uintmax_t kMaxModelBytes = uintmax_t{4} << 30;

Result<std::vector<uint8_t>> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return error(ErrorCode::kNotFound, "model file '" + path.string() +
                                           "' does not exist; `real-esrgan-serve models list` "
                                           "shows the known models");
  }
  if (fs::is_directory(path, ec)) {
    return error(ErrorCode::kInvalidModel, "model path '" + path.string() + "' is a directory");
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || size > kMaxModelBytes) {
    return error(ErrorCode::kInvalidModel,
                 "model file '" + path.string() + "' is unreadable or larger than 4 GiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return error(ErrorCode::kIoError, "cannot read model file '" + path.string() + "'");
  }
  return bytes;
}

// ncnn keeps weights beside the graph: model.param + model.bin.
Result<LoadedWeights> load_ncnn_pair(const fs::path& param, const fs::path& bin) {
  RESR_ASSIGN_OR_RETURN(std::vector<uint8_t> text, read_file(param));
  auto bin_bytes = read_file(bin);
  if (!bin_bytes.is_ok()) {
    return bin_bytes.status().with_context("ncnn model '" + param.string() +
                                           "' needs its weights file beside it");
  }
  return load_ncnn(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                   *bin_bytes, param.string());
}

Result<LoadedWeights> load_weights(const fs::path& path) {
  RESR_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  const std::string origin = path.string();
  if (bytes.empty()) {
    return error(ErrorCode::kInvalidModel, "model file '" + origin + "' is empty (0 bytes)");
  }
  if (looks_like_pth(bytes)) return load_pth(bytes, origin);
  if (looks_like_safetensors(bytes)) return load_safetensors(bytes, origin);
  if (looks_like_ncnn_param(bytes)) {
    return load_ncnn_pair(path, fs::path(path).replace_extension(".bin"));
  }
  if (fs::path sibling = fs::path(path).replace_extension(".param");
      path.extension() == ".bin" && fs::exists(sibling)) {
    return load_ncnn_pair(sibling, path);
  }
  if (looks_like_onnx(bytes)) return load_onnx(bytes, origin);
  return error(ErrorCode::kInvalidModel,
               "'" + origin +
                   "' is not a model file this tool reads: expected a PyTorch .pth, "
                   ".safetensors, an ncnn .param/.bin pair or an .onnx file");
}

}  // namespace

Result<std::shared_ptr<const Model>> load_model(const fs::path& path, const LoadOptions& options) {
  RESR_ASSIGN_OR_RETURN(LoadedWeights weights, load_weights(path));
  const std::string where = "model '" + path.string() + "'";
  Result<Model> model =
      looks_like_rrdbnet(weights) ? build_rrdbnet(weights)
      : looks_like_srvgg(weights)
          ? build_srvgg(weights, options.srvgg_activation)
          : Result<Model>(error(ErrorCode::kUnsupported,
                                "its weights are neither RRDBNet (conv_first, body.N.rdbK...) "
                                "nor SRVGGNetCompact (body.N...); only these two "
                                "Real-ESRGAN architectures are supported"));
  if (!model.is_ok()) return model.status().with_context(where);
  ModelInfo& info = model->info;
  info.format = weights.format;
  info.source = path.string();
  info.parameters = model->graph.parameter_count();
  info.flops_per_pixel = model->graph.flops_per_input_pixel();
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(model).value()));
}

}  // namespace resr
