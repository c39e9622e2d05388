#include "backend/cpu/cpu_backend.hpp"

#include "backend/cpu/cpu_compiled_model.hpp"
#include "backend/cpu/cpu_target.hpp"
#include "backend/cpu/precision_probe.hpp"

namespace resr {

namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Result<std::shared_ptr<const CompiledModel>> compile(
      const Graph& graph, const BackendOptions& options) const override {
    RESR_ASSIGN_OR_RETURN(std::shared_ptr<const cpu::CpuCompiledModel> model,
                          cpu::CpuCompiledModel::compile(graph, options));
    return std::shared_ptr<const CompiledModel>(std::move(model));
  }
  Result<std::shared_ptr<const CompiledModel>> compile_packed(
      const Graph& graph, const PackedBlobs& blobs, const BackendOptions& options) const override {
    RESR_ASSIGN_OR_RETURN(std::shared_ptr<const cpu::CpuCompiledModel> model,
                          cpu::CpuCompiledModel::compile_packed(graph, blobs, options));
    return std::shared_ptr<const CompiledModel>(std::move(model));
  }
  bool supports(Precision precision) const override {
    return precision == Precision::kFp32 || cpu::cpu_has_bf16();
  }
  Precision fastest_precision() const override {
    return cpu::bf16_is_faster() ? Precision::kBf16 : Precision::kFp32;
  }
  std::string target() const override { return cpu::cpu_target(); }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace resr
