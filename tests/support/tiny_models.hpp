// Tiny hand-built graphs run by the reference backend: enough to exercise tiling,
// blending and image I/O with exact, predictable numbers in milliseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>

#include "backend/backend.hpp"
#include "backend/reference/reference_backend.hpp"
#include "core/graph.hpp"

namespace resr::testing {

// Nearest-neighbour upsampling: the output is the input, enlarged.
inline Graph nearest_graph(int factor) {
  Graph g;
  g.add_upsample_nearest(g.add_input(), factor);
  g.scale = factor;
  return g;
}

// One 3x3 convolution with fixed pseudo-random weights, then a pixel shuffle:
// receptive field radius 1, mixes channels and neighbours.
inline Graph conv_shuffle_graph(int factor) {
  Graph g;
  const int in = g.add_input();
  ConvLayer conv;
  conv.name = "conv";
  conv.in_channels = 3;
  conv.out_channels = 3 * factor * factor;
  conv.kernel = 3;
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  };
  // Weights near 1/27 keep outputs around the input's range.
  for (int i = 0; i < conv.out_channels * 27; ++i) conv.weight.push_back((next() + 0.5f) / 27.0f);
  for (int i = 0; i < conv.out_channels; ++i) conv.bias.push_back(0.1f * (next() - 0.5f));
  g.add_pixel_shuffle(g.add_conv({in}, conv), factor);
  g.scale = factor;
  return g;
}

// Pixel unshuffle by 2, a 3x3 conv, pixel shuffle by 4: scale 2, and input sides
// must be even.
inline Graph unshuffle_graph() {
  Graph g;
  const int down = g.add_pixel_unshuffle(g.add_input(), 2);
  ConvLayer conv;
  conv.name = "conv";
  conv.in_channels = 12;
  conv.out_channels = 48;
  conv.kernel = 3;
  for (int o = 0; o < 48; ++o)
    for (int i = 0; i < 12 * 9; ++i) conv.weight.push_back(((o * 7 + i * 3) % 11) / 600.0f);
  conv.bias.assign(48, 0.05f);
  g.add_pixel_shuffle(g.add_conv({down}, conv), 4);
  g.scale = 2;
  return g;
}

// A compiled graph and one session on it (the session borrows the model).
struct TinyModel {
  std::shared_ptr<const CompiledModel> compiled;
  std::unique_ptr<Session> session;
  int scale = 1;
};

inline TinyModel compile_reference(const Graph& graph) {
  auto compiled = make_reference_backend()->compile(graph, BackendOptions{1, Precision::kFp32});
  if (!compiled.is_ok()) throw std::runtime_error(compiled.status().message());
  TinyModel m{*compiled, nullptr, graph.scale};
  m.session = m.compiled->new_session();
  return m;
}

}  // namespace resr::testing
