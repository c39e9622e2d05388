#include "backend/reference/reference_backend.hpp"

#include <omp.h>

#include <algorithm>

#include "backend/reference/reference_ops.hpp"
#include "core/graph_validation.hpp"

namespace resr {

namespace {

// The oracle runs the graph's own weights; an engine file would hold nothing else.
Status packing_unsupported() {
  return error(ErrorCode::kUnsupported,
               "the reference backend has no engine format (it runs the model's weights as they "
               "are); build engines with --backend cpu");
}

class ReferenceSession final : public Session {
 public:
  ReferenceSession(const Graph& graph, int threads) : graph_(graph), threads_(threads) {}

  Result<Tensor> run(const Tensor& input) override {
    if (input.shape.size() != 3 || input.channels() != 3 || input.height() < 1 ||
        input.width() < 1) {
      return error(ErrorCode::kInvalidArgument, "reference backend: input must be 3 x H x W, got " +
                                                    shape_to_string(input.shape));
    }
    omp_set_num_threads(threads_);
    std::vector<Tensor> values(graph_.nodes.size());
    // Free each value after its last use, so memory stays near the live set.
    std::vector<size_t> last_use(graph_.nodes.size(), 0);
    for (size_t i = 0; i < graph_.nodes.size(); ++i)
      for (int in : graph_.nodes[i].inputs) last_use[in] = i;

    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      const Node& n = graph_.nodes[i];
      switch (n.kind) {
        case OpKind::kInput:
          values[i] = input;
          break;
        case OpKind::kConv: {
          std::vector<const Tensor*> ins;
          for (int in : n.inputs) ins.push_back(&values[in]);
          values[i] = reference::conv2d(ins, graph_.convs[n.conv]);
          break;
        }
        case OpKind::kAdd:
          values[i] = reference::add(values[n.inputs[0]], values[n.inputs[1]], n.alpha, n.beta);
          break;
        case OpKind::kUpsampleNearest:
          values[i] = reference::upsample_nearest(values[n.inputs[0]], n.factor);
          break;
        case OpKind::kPixelShuffle:
          values[i] = reference::pixel_shuffle(values[n.inputs[0]], n.factor);
          break;
        case OpKind::kPixelUnshuffle: {
          const Tensor& in = values[n.inputs[0]];
          if (in.height() % n.factor || in.width() % n.factor) {
            return error(ErrorCode::kInvalidArgument,
                         "input " + std::to_string(in.width()) + "x" + std::to_string(in.height()) +
                             " is not divisible by " + std::to_string(n.factor) +
                             ", which this model's pixel-unshuffle needs");
          }
          values[i] = reference::pixel_unshuffle(in, n.factor);
          break;
        }
      }
      for (int in : n.inputs)
        if (last_use[in] == i) values[in] = Tensor();
    }
    return std::move(values.back());
  }

 private:
  const Graph& graph_;
  int threads_;
};

class ReferenceModel final : public CompiledModel {
 public:
  ReferenceModel(Graph graph, int threads) : graph_(std::move(graph)), threads_(threads) {}
  std::unique_ptr<Session> new_session() const override {
    return std::make_unique<ReferenceSession>(graph_, threads_);
  }
  Result<PackedBlobs> pack() const override { return packing_unsupported(); }
  int64_t weight_bytes() const override {
    int64_t floats = 0;
    for (const ConvLayer& c : graph_.convs) {
      floats += static_cast<int64_t>(c.weight.size() + c.bias.size() + c.prelu_slopes.size());
    }
    return floats * static_cast<int64_t>(sizeof(float));
  }
  // The most bytes of values alive at once: a session frees each after its last use.
  int64_t activation_bytes(int64_t height, int64_t width) const override {
    const size_t n = graph_.nodes.size();
    std::vector<size_t> last_use(n, 0);
    for (size_t i = 0; i < n; ++i)
      for (int in : graph_.nodes[i].inputs) last_use[in] = i;
    std::vector<double> area(n, static_cast<double>(height) * static_cast<double>(width));
    double live = 0, peak = 0;
    std::vector<double> bytes(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Node& node = graph_.nodes[i];
      if (!node.inputs.empty()) area[i] = area[node.inputs[0]];
      const double f2 = static_cast<double>(node.factor) * node.factor;
      if (node.kind == OpKind::kUpsampleNearest || node.kind == OpKind::kPixelShuffle)
        area[i] *= f2;
      if (node.kind == OpKind::kPixelUnshuffle) area[i] /= f2;
      bytes[i] = area[i] * node.channels * sizeof(float);
      live += bytes[i];
      peak = std::max(peak, live);
      for (int in : node.inputs)
        if (last_use[in] == i) live -= bytes[in];
    }
    return static_cast<int64_t>(peak);
  }

 private:
  Graph graph_;
  int threads_;
};

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Result<std::shared_ptr<const CompiledModel>> compile(
      const Graph& graph, const BackendOptions& options) const override {
    if (options.precision != Precision::kFp32) {
      return error(ErrorCode::kUnsupported, "the reference backend computes in fp32 only");
    }
    // The oracle must refuse a malformed graph as the cpu backend does, not index past it.
    RESR_RETURN_IF_ERROR(validate_graph(graph, ConvWeights::kInGraph));
    return std::shared_ptr<const CompiledModel>(
        std::make_shared<ReferenceModel>(graph, resolve_thread_count(options.threads)));
  }
  Result<std::shared_ptr<const CompiledModel>> compile_packed(
      const Graph&, const PackedBlobs&, const BackendOptions&) const override {
    return packing_unsupported();
  }
  bool supports(Precision precision) const override { return precision == Precision::kFp32; }
  Precision fastest_precision() const override { return Precision::kFp32; }
  std::string target() const override { return "portable C++"; }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace resr
