#include "backend/cpu/cpu_compiled_model.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

#include "backend/cpu/conv_primitive_cache.hpp"
#include "backend/cpu/cpu_session.hpp"
#include "backend/cpu/cpu_target.hpp"
#include "backend/cpu/dnnl_errors.hpp"
#include "backend/cpu/omp_thread_scope.hpp"
#include "backend/cpu/shape_program.hpp"
#include "backend/cpu/value_extents.hpp"

namespace resr::cpu {

namespace {

using dnnl::memory;

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

memory::desc oihw_desc(const ConvLayer& layer) {
  return memory::desc({layer.out_channels, layer.in_channels, layer.kernel, layer.kernel},
                      memory::data_type::f32, memory::format_tag::oihw);
}

// The layout a conv's weights are kept in. Winograd weights stay plain: their
// transformed layout depends on the input size, so each size's program
// transforms them (ShapeProgram).
memory::desc packed_weights_desc(const ConvPrimitiveCache::Entry& chosen, const ConvLayer& layer) {
  return winograd_applies(chosen.config) ? oihw_desc(layer) : chosen.conv_pd.weights_desc();
}

memory::desc bias_desc(int channels) {
  return memory::desc({channels}, memory::data_type::f32, memory::format_tag::x);
}

memory::desc slopes_desc(int channels) {
  return memory::desc({1, channels, 1, 1}, memory::data_type::f32, memory::format_tag::nchw);
}

// A memory over the packed blob `name`, used in place. The blob was packed in
// the layout `expected` (what the primitive picks here) or the engine file
// came from another machine or oneDNN: then it must be rebuilt, not guessed at.
Result<memory> packed_memory(const PackedBlobs& blobs, const std::string& name,
                             const memory::desc& expected, const ConvLayer& layer,
                             const dnnl::engine& engine) {
  RESR_ASSIGN_OR_RETURN(std::span<const std::byte> stored_desc, blobs.find(name + ".desc"));
  RESR_ASSIGN_OR_RETURN(std::span<const std::byte> bytes, blobs.find(name));
  if (stored_desc.size() != sizeof(dnnl_memory_desc_t) ||
      std::memcmp(stored_desc.data(), &expected.data, sizeof(dnnl_memory_desc_t)) != 0) {
    return error(ErrorCode::kUnsupported,
                 "conv '" + layer.name + "': the engine's packed layout of " + name +
                     " is not the one oneDNN picks on this machine (built for another CPU or "
                     "oneDNN version); rebuild the engine here with `real-esrgan-serve build`");
  }
  if (bytes.size() != expected.get_size()) {
    return error(ErrorCode::kInvalidModel, "conv '" + layer.name + "': packed blob " + name +
                                               " has " + std::to_string(bytes.size()) +
                                               " bytes; its layout needs " +
                                               std::to_string(expected.get_size()));
  }
  // oneDNN only reads weights; the handle is non-const by API.
  return memory(expected, engine, const_cast<std::byte*>(bytes.data()));
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

template <typename PackConv>
Result<std::shared_ptr<const CpuCompiledModel>> CpuCompiledModel::build(
    const Graph& graph, ConvWeights weights, const BackendOptions& options, PackConv pack_conv) {
  RESR_ASSIGN_OR_RETURN(ExecutionPlan plan, plan_execution(graph, weights));
  if (options.precision == Precision::kBf16 && !cpu_has_bf16()) {
    return error(ErrorCode::kUnsupported,
                 "cpu backend: bf16 needs a CPU with AVX512-BF16, which this one lacks; use "
                 "fp32");
  }
  const ElementType type =
      options.precision == Precision::kBf16 ? ElementType::kBf16 : ElementType::kF32;
  const int threads = resolve_thread_count(options.threads);
  return catch_dnnl_errors(
      "cpu backend: compiling the model", [&]() -> Result<std::shared_ptr<const CpuCompiledModel>> {
        std::shared_ptr<CpuCompiledModel> model(
            new CpuCompiledModel(std::move(plan), graph, type, threads));
        OmpThreadScope scope(threads);
        const ExecutionPlan& p = model->plan_;
        RESR_ASSIGN_OR_RETURN(std::vector<Extent> extents,
                              node_extents(model->nodes_, nominal_input(model->nodes_)));
        ConvPrimitiveCache primitives(model->engine_);
        model->conv_index_of_step_.assign(p.steps.size(), -1);
        for (size_t s = 0; s < p.steps.size(); ++s) {
          const Step& step = p.steps[s];
          if (step.kind != StepKind::kConv) continue;
          const ConvLayer& layer = graph.convs[step.conv];
          const ConvConfig config = conv_config(p, step, layer, type);
          const Extent e = extents[p.values[step.output].node];
          const int index = static_cast<int>(model->convs_.size());
          const ConvPrimitiveCache::Entry& chosen = primitives.get(config, e.height, e.width);
          RESR_ASSIGN_OR_RETURN(PackedConv packed, pack_conv(index, layer, chosen, model->engine_));
          packed.config = config;
          for (const memory* m : {&packed.weights, &packed.bias, &packed.prelu_slopes}) {
            if (*m) model->weight_bytes_ += static_cast<int64_t>(m->get_desc().get_size());
          }
          // A session's re-laid copy (Winograd layouts are all the same size).
          if (chosen.conv_pd.weights_desc() != packed.weights.get_desc()) {
            model->weight_bytes_ += static_cast<int64_t>(chosen.conv_pd.weights_desc().get_size());
          }
          model->conv_index_of_step_[s] = index;
          model->convs_.push_back(std::move(packed));
        }
        return std::shared_ptr<const CpuCompiledModel>(std::move(model));
      });
}

Result<std::shared_ptr<const CpuCompiledModel>> CpuCompiledModel::compile(
    const Graph& graph, const BackendOptions& options) {
  std::optional<Relayout> relayout;  // one for all convs: it keeps its reorders
  return build(graph, ConvWeights::kInGraph, options,
               [&](int, const ConvLayer& layer, const ConvPrimitiveCache::Entry& chosen,
                   const dnnl::engine& engine) -> Result<PackedConv> {
                 if (!relayout) relayout.emplace(engine);
                 PackedConv packed;
                 const memory plain = plain_memory(oihw_desc(layer), layer.weight, engine);
                 const memory::desc packed_desc = packed_weights_desc(chosen, layer);
                 packed.weights =
                     packed_desc == plain.get_desc() ? plain : (*relayout)(plain, packed_desc);
                 packed.bias = plain_memory(bias_desc(layer.out_channels), layer.bias, engine);
                 if (chosen.prelu_pd) {
                   packed.prelu_slopes = (*relayout)(
                       plain_memory(slopes_desc(layer.out_channels), layer.prelu_slopes, engine),
                       chosen.prelu_pd->weights_desc());
                 }
                 return packed;
               });
}

Result<std::shared_ptr<const CpuCompiledModel>> CpuCompiledModel::compile_packed(
    const Graph& graph, const PackedBlobs& blobs, const BackendOptions& options) {
  auto model = build(
      graph, ConvWeights::kPackedApart, options,
      [&](int index, const ConvLayer& layer, const ConvPrimitiveCache::Entry& chosen,
          const dnnl::engine& engine) -> Result<PackedConv> {
        const std::string name = "conv" + std::to_string(index);
        PackedConv packed;
        RESR_ASSIGN_OR_RETURN(packed.weights,
                              packed_memory(blobs, name + ".weights",
                                            packed_weights_desc(chosen, layer), layer, engine));
        RESR_ASSIGN_OR_RETURN(
            packed.bias,
            packed_memory(blobs, name + ".bias", bias_desc(layer.out_channels), layer, engine));
        if (chosen.prelu_pd) {
          RESR_ASSIGN_OR_RETURN(packed.prelu_slopes,
                                packed_memory(blobs, name + ".prelu",
                                              chosen.prelu_pd->weights_desc(), layer, engine));
        }
        return packed;
      });
  if (!model.is_ok()) return model.status();
  // The convs' memories point into the blobs: keep them alive with the model.
  std::const_pointer_cast<CpuCompiledModel>(*model)->packed_storage_ = blobs.storage();
  return model;
}

Result<PackedBlobs> CpuCompiledModel::pack() const {
  PackedBlobs blobs;
  const auto add = [&blobs](const std::string& name, const memory& m) {
    const memory::desc desc = m.get_desc();
    blobs.add(name + ".desc", std::as_bytes(std::span(&desc.data, 1)));
    blobs.add(name, std::span(static_cast<const std::byte*>(m.get_data_handle()), desc.get_size()));
  };
  for (size_t i = 0; i < convs_.size(); ++i) {
    const std::string name = "conv" + std::to_string(i);
    add(name + ".weights", convs_[i].weights);
    add(name + ".bias", convs_[i].bias);
    if (convs_[i].prelu_slopes) add(name + ".prelu", convs_[i].prelu_slopes);
  }
  return blobs;
}

int64_t CpuCompiledModel::activation_bytes(int64_t height, int64_t width) const {
  return static_cast<int64_t>(ShapeProgram::memory_bytes(*this, height, width));
}

std::unique_ptr<Session> CpuCompiledModel::new_session() const {
  return std::make_unique<CpuSession>(shared_from_this());
}

}  // namespace resr::cpu
