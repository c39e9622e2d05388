#include "backend/cpu/shape_program.hpp"

#include <algorithm>

#include "backend/cpu/activation_ops.hpp"
#include "backend/cpu/value_extents.hpp"

namespace resr::cpu {

namespace {

constexpr size_t kSlotAlignment = 4096;
// oneDNN 2.6's largest conv scratchpad here: Winograd's transform buffers,
// 10-12 MB for 64-192 channels at any size (measured).
constexpr size_t kScratchpadAllowance = size_t{16} << 20;

size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

}  // namespace

Result<std::unique_ptr<ShapeProgram>> ShapeProgram::create(const CpuCompiledModel& model,
                                                           int64_t height, int64_t width) {
  std::unique_ptr<ShapeProgram> program(new ShapeProgram(model));
  RESR_RETURN_IF_ERROR(program->plan_memory(height, width));
  RESR_RETURN_IF_ERROR(program->create_primitives());
  return program;
}

size_t ShapeProgram::memory_bytes(const CpuCompiledModel& model, int64_t height, int64_t width) {
  ShapeProgram program(model);
  if (!program.plan_memory(height, width).is_ok()) return 0;
  return program.arena_bytes_ + kScratchpadAllowance;
}

Status ShapeProgram::plan_memory(int64_t height, int64_t width) {
  const ExecutionPlan& plan = model_.plan();
  RESR_ASSIGN_OR_RETURN(std::vector<Extent> extents, node_extents(model_.nodes(), {height, width}));
  const size_t element_bytes = element_size(model_.element_type());

  std::vector<size_t> slot_bytes(plan.slot_count, 0);
  views_.resize(plan.values.size());
  for (size_t v = 0; v < plan.values.size(); ++v) {
    const PlannedValue& value = plan.values[v];
    const PlannedBuffer& buffer = plan.buffers[value.buffer];
    const Extent e = extents[value.node];
    views_[v] = {nullptr, buffer.layout, model_.element_type(), value.channels, e.height, e.width};
    const size_t bytes = static_cast<size_t>(padded_channels(buffer.layout, buffer.channels)) *
                         e.height * e.width * element_bytes;
    slot_bytes[buffer.slot] = std::max(slot_bytes[buffer.slot], bytes);
  }
  std::vector<size_t> slot_offsets(plan.slot_count, 0);
  size_t end = 0;
  for (int s = 0; s < plan.slot_count; ++s) {
    slot_offsets[s] = end;
    end += align_up(slot_bytes[s], kSlotAlignment);
  }
  offsets_.resize(plan.values.size());
  for (size_t v = 0; v < plan.values.size(); ++v) {
    const PlannedValue& value = plan.values[v];
    // A block-aligned channel offset starts a dense tensor inside the buffer.
    offsets_[v] = slot_offsets[plan.buffers[value.buffer].slot] +
                  static_cast<size_t>(value.channel_offset) * views_[v].height * views_[v].width *
                      element_bytes;
  }
  arena_bytes_ = end;
  return Status::ok();
}

Status ShapeProgram::create_primitives() {
  const ExecutionPlan& plan = model_.plan();
  size_t scratchpad = 0;
  convs_.resize(plan.steps.size());
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Step& step = plan.steps[s];
    if (step.kind != StepKind::kConv) continue;
    const PackedConv& packed = model_.conv_of_step(s);
    const ActivationView& out = views_[step.output];
    ConvExecution c;
    c.primitives = &primitives_.get(packed.config, out.height, out.width);
    const auto& conv_pd = c.primitives->conv_pd;
    scratchpad = std::max(scratchpad, conv_pd.scratchpad_desc().get_size());
    if (const auto& pd = c.primitives->activation_pd) {
      scratchpad = std::max(scratchpad, pd->scratchpad_desc().get_size());
    }
    if (const auto& pd = c.primitives->residual_pd) {
      scratchpad = std::max(scratchpad, pd->scratchpad_desc().get_size());
    }
    if (const auto& prelu_pd = c.primitives->prelu_pd) {
      scratchpad = std::max(scratchpad, prelu_pd->scratchpad_desc().get_size());
    }
    convs_[s] = std::move(c);
  }
  scratchpad_offset_ = arena_bytes_;
  arena_bytes_ += align_up(scratchpad, kSlotAlignment);
  return Status::ok();
}

ActivationView ShapeProgram::conv_source(const Step& step) const {
  // The planner put a conv's inputs side by side: one view spans them all.
  ActivationView src = views_[step.inputs[0]];
  src.channels = 0;
  for (int in : step.inputs) src.channels += views_[in].channels;
  return src;
}

void ShapeProgram::bind(char* arena) {
  const ExecutionPlan& plan = model_.plan();
  const dnnl::engine& engine = model_.engine();
  for (size_t v = 0; v < views_.size(); ++v) views_[v].data = arena + offsets_[v];
  char* scratchpad = arena + scratchpad_offset_;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    if (!convs_[s]) continue;
    const Step& step = plan.steps[s];
    const PackedConv& packed = model_.conv_of_step(s);
    ConvExecution& c = *convs_[s];
    const auto& pd = c.primitives->conv_pd;
    dnnl::memory dst(pd.dst_desc(), engine, views_[step.output].data);
    c.args = {{DNNL_ARG_SRC, dnnl::memory(pd.src_desc(), engine, conv_source(step).data)},
              {DNNL_ARG_BIAS, packed.bias},
              {DNNL_ARG_DST, dst},
              {DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), engine, scratchpad)}};
    const auto residual = [&](size_t k) {
      const ActivationView& other = views_[step.fused_adds[k].other];
      return dnnl::memory(activation_desc(other), engine, other.data);
    };
    if (!c.primitives->winograd) {
      const std::vector<int> post_ops = residual_post_op_indices(packed.config);
      for (size_t k = 0; k < post_ops.size(); ++k) {
        c.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_ops[k]) | DNNL_ARG_SRC_1] = residual(k);
      }
    }
    if (const auto& pd = c.primitives->activation_pd) {
      c.activation_args = {
          {DNNL_ARG_SRC, dst},
          {DNNL_ARG_DST, dst},
          {DNNL_ARG_SCRATCHPAD, dnnl::memory(pd->scratchpad_desc(), engine, scratchpad)}};
    }
    if (const auto& pd = c.primitives->residual_pd) {
      c.residual_args = {
          {DNNL_ARG_SRC_0, dst},
          {DNNL_ARG_SRC_1, residual(0)},
          {DNNL_ARG_DST, dst},
          {DNNL_ARG_SCRATCHPAD, dnnl::memory(pd->scratchpad_desc(), engine, scratchpad)}};
      const std::vector<int> post_ops = unfused_residual_post_op_indices(packed.config);
      for (size_t k = 0; k < post_ops.size(); ++k) {
        c.residual_args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_ops[k]) | DNNL_ARG_SRC_1] =
            residual(k + 1);
      }
    }
    if (const auto& prelu_pd = c.primitives->prelu_pd) {
      c.prelu_args = {
          {DNNL_ARG_SRC, dst},
          {DNNL_ARG_DST, dst},
          {DNNL_ARG_SCRATCHPAD, dnnl::memory(prelu_pd->scratchpad_desc(), engine, scratchpad)}};
    }
  }
}

Result<Tensor> ShapeProgram::run(const Tensor& input, dnnl::stream& stream,
                                 RelaidWeights& weights) const {
  const ExecutionPlan& plan = model_.plan();
  // Only read through this view.
  const ActivationView in{const_cast<float*>(input.data.data()), Layout::kPlain, ElementType::kF32,
                          static_cast<int>(input.channels()),    input.height(), input.width()};
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Step& step = plan.steps[s];
    const ActivationView& out = views_[step.output];
    switch (step.kind) {
      case StepKind::kLoadInput:
        copy_channels(in, out, 0);
        break;
      case StepKind::kConcatCopy: {
        int offset = 0;
        for (int v : step.inputs) {
          copy_channels(views_[v], out, offset);
          offset += views_[v].channels;
        }
        zero_channel_padding(out);
        break;
      }
      case StepKind::kConv: {
        const ConvExecution& c = *convs_[s];
        const PackedConv& packed = model_.conv_of_step(s);
        auto args = c.args;
        args[DNNL_ARG_WEIGHTS] = weights.get(packed.weights, c.primitives->conv_pd.weights_desc());
        c.primitives->conv.execute(stream, args);
        if (c.primitives->activation_pd)
          c.primitives->activation.execute(stream, c.activation_args);
        if (c.primitives->residual_pd) c.primitives->residual.execute(stream, c.residual_args);
        if (const auto& prelu_pd = c.primitives->prelu_pd) {
          auto prelu_args = c.prelu_args;
          prelu_args[DNNL_ARG_WEIGHTS] = weights.get(packed.prelu_slopes, prelu_pd->weights_desc());
          c.primitives->prelu.execute(stream, prelu_args);
        }
        stream.wait();
        break;
      }
      case StepKind::kAdd:
        add(views_[step.inputs[0]], views_[step.inputs[1]], step.alpha, step.beta, out);
        break;
      case StepKind::kUpsampleNearest:
        upsample_nearest(views_[step.inputs[0]], step.factor, out);
        break;
      case StepKind::kPixelShuffle:
        pixel_shuffle(views_[step.inputs[0]], step.factor, out);
        break;
      case StepKind::kPixelUnshuffle:
        pixel_unshuffle(views_[step.inputs[0]], step.factor, out);
        break;
    }
  }
  const ActivationView& result_view = views_[plan.output_value];
  Tensor result = Tensor::chw(result_view.channels, result_view.height, result_view.width);
  copy_channels(result_view,
                {result.data.data(), Layout::kPlain, ElementType::kF32, result_view.channels,
                 result_view.height, result_view.width},
                0);
  return result;
}

}  // namespace resr::cpu
