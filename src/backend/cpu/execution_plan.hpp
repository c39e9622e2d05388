// The shape-independent half of running a Graph on oneDNN: which graph values
// are materialised, where each one lives (buffer, channel offset, layout),
// which adds fold into the conv before them, and which buffers may share
// memory because their lifetimes do not overlap. Spatial sizes are known only
// per run; everything here holds for every input size.
#pragma once

#include <vector>

#include "core/graph.hpp"
#include "core/graph_validation.hpp"
#include "resr/status.hpp"

namespace resr::cpu {

// Channel block of the blocked activation layout (nChw16c): one AVX-512 vector.
inline constexpr int kChannelBlock = 16;

enum class Layout {
  kPlain,    // nchw: any channel offset is a contiguous view
  kBlocked,  // nChw16c: channels padded to kChannelBlock; block-aligned views are contiguous
};

inline int padded_channels(Layout layout, int channels) {
  return layout == Layout::kBlocked ? (channels + kChannelBlock - 1) / kChannelBlock * kChannelBlock
                                    : channels;
}

struct PlannedBuffer {
  Layout layout = Layout::kPlain;
  int channels = 0;  // sum of its values' channels, before padding
  int slot = -1;     // arena slot; buffers whose lifetimes do not overlap share one
};

struct PlannedValue {
  int node = 0;  // the graph node it holds, or (a concat copy) whose spatial size it has
  int buffer = 0;
  int channel_offset = 0;  // a multiple of kChannelBlock in a blocked buffer
  int channels = 0;
};

enum class StepKind {
  kLoadInput,
  kConcatCopy,  // only when a conv's inputs cannot be placed side by side
  kConv,
  kAdd,
  kUpsampleNearest,
  kPixelShuffle,
  kPixelUnshuffle,
};

// out = scale * out + other, folded into the conv before it as post-ops.
struct FusedAdd {
  float scale = 1.0f;
  int other = 0;  // value id, same layout as the conv's output
};

struct Step {
  StepKind kind = StepKind::kLoadInput;
  std::vector<int> inputs;  // value ids; a conv's inputs are adjacent, in order, in one buffer
  int output = 0;           // value id
  int conv = -1;            // kConv: index into Graph::convs
  float alpha = 1.0f;       // kAdd: alpha * inputs[0] + beta * inputs[1]
  float beta = 1.0f;
  int factor = 1;                    // upsample, pixel (un)shuffle
  std::vector<FusedAdd> fused_adds;  // kConv, applied in order after the activation
};

struct ExecutionPlan {
  std::vector<PlannedValue> values;
  std::vector<PlannedBuffer> buffers;
  std::vector<Step> steps;
  int slot_count = 0;
  int output_value = 0;
};

// Fails with kInvalidModel when the graph is malformed (a builder bug or a
// hand-made graph): wrong weight sizes, bad indices, channel mismatches.
Result<ExecutionPlan> plan_execution(const Graph& graph,
                                     ConvWeights weights = ConvWeights::kInGraph);

}  // namespace resr::cpu
