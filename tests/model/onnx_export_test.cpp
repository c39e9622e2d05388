// export-onnx, checked by an independent runtime: ONNX Runtime (npm
// onnxruntime-node, installed by tools/test.sh) runs our export and must match
// our cpu backend; our own loader must read the export back to the same model.
#include "model/formats/onnx/onnx_export.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "core/scratch_directory.hpp"
#include "model/model.hpp"
#include "model/zoo/model_directory.hpp"
#include "support/run_binary.hpp"
#include "support/tensor_files.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::max_abs_diff;
using testing::read_f32;
using testing::write_f32;
const std::string kGolden = std::string(RESR_TEST_DATA) + "/golden/";

std::string ort_module() {
  const char* env = std::getenv("RESR_ORT_NODE");
  return env ? env : std::string(RESR_SOURCE_DIR) + "/.peers/node_modules/onnxruntime-node";
}

Tensor run(const std::string& backend_name, const Graph& graph, const Tensor& input) {
  auto backend = make_backend(backend_name);
  auto compiled = (*backend)->compile(graph, {});
  auto out = (*compiled)->new_session()->run(input);
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? *out : Tensor();
}

// Runs `model_file` through ONNX Runtime on `input`.
Tensor run_onnx_runtime(const fs::path& model_file, const Tensor& input, const fs::path& dir) {
  write_f32(dir / "in.f32", input);
  auto r = testing::run_program(
      NODE_PROGRAM,
      {std::string(RESR_SOURCE_DIR) + "/tools/peers/ort_run.js", model_file.string(),
       (dir / "in.f32").string(), "3", std::to_string(input.height()),
       std::to_string(input.width()), (dir / "out.f32").string()},
      {"ORT_NODE=" + ort_module()});
  EXPECT_EQ(r.exit_code, 0) << r.err
                            << "\n(install ONNX Runtime: npm install --ignore-scripts "
                               "--prefix .peers onnxruntime-node@1.30.0)";
  auto dims = nlohmann::json::parse(r.out.empty() ? "{\"dims\":[]}" : r.out)["dims"];
  if (dims.size() != 4) return Tensor();
  return read_f32(dir / "out.f32", {dims[1], dims[2], dims[3]});
}

struct ExportCase {
  std::string model;
  std::string activation;
};

class OnnxExportTest : public ::testing::TestWithParam<ExportCase> {};

TEST_P(OnnxExportTest, OnnxRuntimeMatchesOurCpuBackendAndTheExportReimports) {
  auto model = load_model(kGolden + GetParam().model, LoadOptions{GetParam().activation});
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto dir = ScratchDirectory::create("resr-onnx");
  ASSERT_TRUE(dir.is_ok());
  const fs::path onnx_file = dir->path() / "model.onnx";
  ASSERT_TRUE(export_onnx((*model)->graph, onnx_file).is_ok());

  // Odd sizes unless the model pixel-unshuffles (then multiples of 4).
  const int h = (*model)->graph.scale < 4 ? 12 : 13, w = (*model)->graph.scale < 4 ? 16 : 11;
  Tensor input = Tensor::chw(3, h, w);
  for (size_t i = 0; i < input.data.size(); ++i)
    input.data[i] = static_cast<float>((i * 37) % 101) / 100.0f;

  const Tensor ours = run("cpu", (*model)->graph, input);
  const Tensor theirs = run_onnx_runtime(onnx_file, input, dir->path());
  EXPECT_LE(max_abs_diff(ours, theirs), 1e-4f);

  auto reimported = load_model(onnx_file);
  ASSERT_TRUE(reimported.is_ok()) << reimported.status().message();
  EXPECT_EQ((*reimported)->info.arch, (*model)->info.arch);
  EXPECT_EQ((*reimported)->info.parameters, (*model)->info.parameters);
  EXPECT_EQ(run("reference", (*reimported)->graph, input).data,
            run("reference", (*model)->graph, input).data);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, OnnxExportTest,
                         ::testing::Values(ExportCase{"rrdb_x4.pth", ""},
                                           ExportCase{"rrdb_x2.pth", ""},
                                           ExportCase{"rrdb_x1.safetensors", ""},
                                           ExportCase{"srvgg_prelu_x4.safetensors", ""},
                                           ExportCase{"srvgg_relu_x2.pth", "relu"},
                                           ExportCase{"srvgg_leaky_x3.safetensors", "leakyrelu"}),
                         [](const auto& info) {
                           std::string n = info.param.model;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(OnnxExport, RealGeneralX4v3ThroughOnnxRuntimeMatchesOurCpuBackend) {
  auto path = resolve_model_argument("realesr-general-x4v3", resolve_models_directory(""));
  ASSERT_TRUE(path.is_ok()) << path.status().message();
  auto model = load_model(*path);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto dir = ScratchDirectory::create("resr-onnx");
  ASSERT_TRUE(export_onnx((*model)->graph, dir->path() / "general.onnx").is_ok());
  Tensor input = Tensor::chw(3, 24, 20);
  for (size_t i = 0; i < input.data.size(); ++i)
    input.data[i] = 0.5f + 0.4f * std::sin(static_cast<float>(i) * 0.05f);
  EXPECT_LE(max_abs_diff(run("cpu", (*model)->graph, input),
                         run_onnx_runtime(dir->path() / "general.onnx", input, dir->path())),
            1e-4f);
}

TEST(OnnxExport, StaticSizeAndBadOpsetAndUnwritablePath) {
  auto model = load_model(kGolden + "srvgg_prelu_x4.pth");
  ASSERT_TRUE(model.is_ok());
  auto dir = ScratchDirectory::create("resr-onnx");
  OnnxExportOptions fixed;
  fixed.static_hw = std::pair{16, 24};
  ASSERT_TRUE(export_onnx((*model)->graph, dir->path() / "s.onnx", fixed).is_ok());
  Tensor input = Tensor::chw(3, 16, 24);
  EXPECT_EQ(run_onnx_runtime(dir->path() / "s.onnx", input, dir->path()).shape,
            (std::vector<int64_t>{3, 64, 96}));

  OnnxExportOptions old;
  old.opset = 9;
  Status s = export_onnx((*model)->graph, dir->path() / "o.onnx", old);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("11 to 18"), std::string::npos);
  s = export_onnx((*model)->graph, "/nonexistent-dir/x.onnx");
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent-dir/x.onnx"), std::string::npos);
}

}  // namespace
}  // namespace resr
