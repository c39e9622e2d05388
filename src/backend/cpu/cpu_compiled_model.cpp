#include "backend/cpu/cpu_compiled_model.hpp"

#include <algorithm>
#include <cstring>

#include "backend/cpu/conv_primitive_cache.hpp"
#include "backend/cpu/cpu_session.hpp"
#include "backend/cpu/dnnl_errors.hpp"
#include "backend/cpu/omp_thread_scope.hpp"
#include "backend/cpu/value_extents.hpp"

namespace resr::cpu {

namespace {

using dnnl::memory;

bool cpu_has_bf16() {
  const auto need = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (static_cast<unsigned>(dnnl::get_effective_cpu_isa()) & need) == need;
}

ConvConfig conv_config(const ExecutionPlan& plan, const Step& step, const ConvLayer& layer,
                       ElementType type) {
  ConvConfig c;
  c.in_channels = layer.in_channels;
  c.out_channels = layer.out_channels;
  c.kernel = layer.kernel;
  c.src_layout = plan.buffers[plan.values[step.inputs[0]].buffer].layout;
  c.dst_layout = plan.buffers[plan.values[step.output].buffer].layout;
  c.type = type;
  c.activation = layer.activation;
  c.negative_slope = layer.activation == Activation::kLeakyRelu ? layer.negative_slope : 0.0f;
  // One slope for every channel is a LeakyReLU, which fuses as a post-op.
  const auto& slopes = layer.prelu_slopes;
  if (layer.activation == Activation::kPRelu &&
      std::all_of(slopes.begin(), slopes.end(), [&](float s) { return s == slopes[0]; })) {
    c.activation = Activation::kLeakyRelu;
    c.negative_slope = slopes[0];
  }
  for (const FusedAdd& add : step.fused_adds) c.residual_scales.push_back(add.scale);
  return c;
}

// An fp32 memory holding `values` in the plain layout `desc`.
memory plain_memory(const memory::desc& desc, const std::vector<float>& values,
                    const dnnl::engine& engine) {
  memory m(desc, engine);
  std::memcpy(m.get_data_handle(), values.data(), values.size() * sizeof(float));
  return m;
}

// An input size at which every value has a whole size: the packing
// primitives' layout choice does not depend on it on this oneDNN, and a
// session re-lays weights out itself if a primitive ever picks otherwise.
Extent nominal_input(const std::vector<Node>& nodes) {
  int64_t side = 32;
  for (const Node& n : nodes) {
    if (n.kind == OpKind::kPixelUnshuffle) side *= n.factor;
  }
  return {side, side};
}

}  // namespace

CpuCompiledModel::CpuCompiledModel(ExecutionPlan plan, const Graph& graph, ElementType type,
                                   int threads)
    : plan_(std::move(plan)),
      nodes_(graph.nodes),
      engine_(dnnl::engine::kind::cpu, 0),
      type_(type),
      threads_(threads) {}

Result<std::shared_ptr<const CpuCompiledModel>> CpuCompiledModel::compile(
    const Graph& graph, const BackendOptions& options) {
  RESR_ASSIGN_OR_RETURN(ExecutionPlan plan, plan_execution(graph));
  if (options.precision == Precision::kBf16 && !cpu_has_bf16()) {
    return error(ErrorCode::kUnsupported,
                 "cpu backend: bf16 needs a CPU with AVX512-BF16, which this one lacks; use "
                 "fp32");
  }
  const ElementType type =
      options.precision == Precision::kBf16 ? ElementType::kBf16 : ElementType::kF32;
  const int threads = resolve_thread_count(options.threads);
  return catch_dnnl_errors("cpu backend: compiling the model",
                           [&]() -> Result<std::shared_ptr<const CpuCompiledModel>> {
                             std::shared_ptr<CpuCompiledModel> model(
                                 new CpuCompiledModel(std::move(plan), graph, type, threads));
                             OmpThreadScope scope(threads);
                             RESR_RETURN_IF_ERROR(model->pack_weights(graph));
                             return std::shared_ptr<const CpuCompiledModel>(std::move(model));
                           });
}

Status CpuCompiledModel::pack_weights(const Graph& graph) {
  RESR_ASSIGN_OR_RETURN(std::vector<Extent> extents, node_extents(nodes_, nominal_input(nodes_)));
  ConvPrimitiveCache primitives(engine_);
  Relayout relayout(engine_);
  conv_index_of_step_.assign(plan_.steps.size(), -1);
  for (size_t s = 0; s < plan_.steps.size(); ++s) {
    const Step& step = plan_.steps[s];
    if (step.kind != StepKind::kConv) continue;
    const ConvLayer& layer = graph.convs[step.conv];
    PackedConv packed;
    packed.config = conv_config(plan_, step, layer, type_);
    const Extent e = extents[plan_.values[step.output].node];
    const ConvPrimitiveCache::Entry& chosen = primitives.get(packed.config, e.height, e.width);
    const memory::desc oihw({layer.out_channels, layer.in_channels, layer.kernel, layer.kernel},
                            memory::data_type::f32, memory::format_tag::oihw);
    packed.weights =
        relayout(plain_memory(oihw, layer.weight, engine_), chosen.conv_pd.weights_desc());
    packed.bias = plain_memory(
        memory::desc({layer.out_channels}, memory::data_type::f32, memory::format_tag::x),
        layer.bias, engine_);
    if (chosen.prelu_pd) {
      const memory::desc plain({1, layer.out_channels, 1, 1}, memory::data_type::f32,
                               memory::format_tag::nchw);
      packed.prelu_slopes = relayout(plain_memory(plain, layer.prelu_slopes, engine_),
                                     chosen.prelu_pd->weights_desc());
    }
    conv_index_of_step_[s] = static_cast<int>(convs_.size());
    convs_.push_back(std::move(packed));
  }
  return Status::ok();
}

std::unique_ptr<Session> CpuCompiledModel::new_session() const {
  return std::make_unique<CpuSession>(shared_from_this());
}

}  // namespace resr::cpu
