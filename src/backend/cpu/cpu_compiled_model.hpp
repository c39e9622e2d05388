// The cpu backend's immutable compiled model: the execution plan and every
// conv's weights reordered once into the layout its primitive picked. Shared
// read-only by all sessions; each session creates its own primitives.
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "backend/backend.hpp"
#include "backend/cpu/conv_primitive.hpp"
#include "backend/cpu/execution_plan.hpp"

namespace resr::cpu {

struct PackedConv {
  ConvConfig config;
  dnnl::memory weights;       // in the layout the conv primitive chose at compile time
  dnnl::memory bias;          // fp32 {out}
  dnnl::memory prelu_slopes;  // in the PReLU primitive's layout; empty without PReLU
};

class CpuCompiledModel final : public CompiledModel,
                               public std::enable_shared_from_this<CpuCompiledModel> {
 public:
  static Result<std::shared_ptr<const CpuCompiledModel>> compile(const Graph& graph,
                                                                 const BackendOptions& options);
  // From pack()'s blobs: the weights are used where they lie, not converted.
  static Result<std::shared_ptr<const CpuCompiledModel>> compile_packed(
      const Graph& graph, const PackedBlobs& blobs, const BackendOptions& options);

  Result<PackedBlobs> pack() const override;
  int64_t weight_bytes() const override { return weight_bytes_; }
  int64_t activation_bytes(int64_t height, int64_t width) const override;

  std::unique_ptr<Session> new_session() const override;

  const ExecutionPlan& plan() const { return plan_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  // The packed conv of plan step `step` (a kConv step).
  const PackedConv& conv_of_step(size_t step) const { return convs_[conv_index_of_step_[step]]; }
  const dnnl::engine& engine() const { return engine_; }
  ElementType element_type() const { return type_; }
  int threads() const { return threads_; }

 private:
  CpuCompiledModel(ExecutionPlan plan, const Graph& graph, ElementType type, int threads);
  // Creates the model and fills convs_ with `pack_conv(step, layer, chosen primitive)`.
  template <typename PackConv>
  static Result<std::shared_ptr<const CpuCompiledModel>> build(const Graph& graph,
                                                               ConvWeights weights,
                                                               const BackendOptions& options,
                                                               PackConv pack_conv);

  ExecutionPlan plan_;
  std::vector<Node> nodes_;
  std::vector<PackedConv> convs_;
  std::vector<int> conv_index_of_step_;
  std::shared_ptr<std::byte[]> packed_storage_;  // the blobs convs_ point into, if any
  dnnl::engine engine_;
  ElementType type_;
  int threads_;
  int64_t weight_bytes_ = 0;
};

}  // namespace resr::cpu
