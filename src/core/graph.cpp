#include "core/graph.hpp"

#include <stdexcept>

namespace resr {

namespace {
int push(Graph& g, Node n) {
  g.nodes.push_back(std::move(n));
  return static_cast<int>(g.nodes.size()) - 1;
}
}  // namespace

int Graph::add_input() { return push(*this, Node{OpKind::kInput, {}, -1, 1, 1, 1, 3}); }

int Graph::add_conv(std::vector<int> inputs, ConvLayer layer) {
  int in_ch = 0;
  for (int i : inputs) in_ch += nodes.at(i).channels;
  // Arch builders check shapes before they get here; a mismatch is a bug.
  if (in_ch != layer.in_channels)
    throw std::logic_error("conv " + layer.name + ": channel mismatch");
  Node n{OpKind::kConv,     std::move(inputs), static_cast<int>(convs.size()), 1, 1, 1,
         layer.out_channels};
  convs.push_back(std::move(layer));
  return push(*this, std::move(n));
}

int Graph::add_add(int a, int b, float alpha, float beta) {
  if (nodes.at(a).channels != nodes.at(b).channels) throw std::logic_error("add: channel mismatch");
  return push(*this, Node{OpKind::kAdd, {a, b}, -1, alpha, beta, 1, nodes[a].channels});
}

int Graph::add_upsample_nearest(int in, int factor) {
  return push(*this, Node{OpKind::kUpsampleNearest, {in}, -1, 1, 1, factor, nodes.at(in).channels});
}

int Graph::add_pixel_shuffle(int in, int factor) {
  return push(*this, Node{OpKind::kPixelShuffle,
                          {in},
                          -1,
                          1,
                          1,
                          factor,
                          nodes.at(in).channels / (factor * factor)});
}

int Graph::add_pixel_unshuffle(int in, int factor) {
  return push(*this, Node{OpKind::kPixelUnshuffle,
                          {in},
                          -1,
                          1,
                          1,
                          factor,
                          nodes.at(in).channels * factor * factor});
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const ConvLayer& c : convs) {
    n += static_cast<int64_t>(c.weight.size() + c.bias.size() + c.prelu_slopes.size());
  }
  return n;
}

double Graph::flops_per_input_pixel() const {
  // Track each value's spatial area relative to the input.
  std::vector<double> area(nodes.size(), 1.0);
  double flops = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (!n.inputs.empty()) area[i] = area[n.inputs[0]];
    switch (n.kind) {
      case OpKind::kUpsampleNearest:
      case OpKind::kPixelShuffle:
        area[i] *= n.factor * n.factor;
        break;
      case OpKind::kPixelUnshuffle:
        area[i] /= n.factor * n.factor;
        break;
      case OpKind::kConv: {
        const ConvLayer& c = convs[n.conv];
        flops += 2.0 * c.in_channels * c.out_channels * c.kernel * c.kernel * area[i];
        break;
      }
      default:
        break;
    }
  }
  return flops;
}

}  // namespace resr
