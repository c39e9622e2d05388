#include "export_onnx_command.hpp"

#include <cstdio>

#include "model_options.hpp"
#include "resr/onnx_export.hpp"

namespace resr {

namespace {

struct ExportOnnxArgs {
  ModelOptions model;
  std::string output;
  int opset = 17;
  std::vector<int> static_hw;
};

int run_export_onnx(const ExportOnnxArgs& args) {
  auto model = args.model.load();
  if (!model.is_ok()) return report_error(model.status());
  OnnxExportOptions options;
  options.opset = args.opset;
  if (!args.static_hw.empty()) options.static_hw = {args.static_hw[0], args.static_hw[1]};
  Status s = export_onnx((*model)->graph, args.output, options);
  if (!s.is_ok()) return report_error(s);
  std::fprintf(stderr, "wrote %s (%s x%d, opset %d, %s input size)\n", args.output.c_str(),
               (*model)->info.arch.c_str(), (*model)->info.scale, args.opset,
               options.static_hw ? "static" : "dynamic");
  return 0;
}

}  // namespace

void add_export_onnx_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportOnnxArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export-onnx", "write a model as standard ONNX (input 'input', output 'output')");
  args->model.add_to(*cmd);
  cmd->add_option("-o,--output", args->output, "the .onnx file to write")->required();
  cmd->add_option("--opset", args->opset, "ONNX opset (11-18)")->capture_default_str();
  cmd->add_option("--static", args->static_hw, "fixed input height and width instead of dynamic")
      ->expected(2)
      ->check(CLI::PositiveNumber);
  cmd->callback([args, &exit_code] { exit_code = run_export_onnx(*args); });
}

}  // namespace resr
