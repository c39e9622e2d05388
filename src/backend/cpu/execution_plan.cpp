#include "backend/cpu/execution_plan.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "backend/cpu/buffer_slots.hpp"
#include "core/graph_validation.hpp"

namespace resr::cpu {

namespace {

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int find(int x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void unite(int a, int b) { parent_[find(a)] = find(b); }

 private:
  std::vector<int> parent_;
};

bool has_duplicates(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) != v.end();
}

// Whether `run` appears in `sequence` as consecutive elements, in order.
bool is_contiguous_run(const std::vector<int>& sequence, const std::vector<int>& run) {
  auto start = std::find(sequence.begin(), sequence.end(), run.front());
  if (static_cast<size_t>(sequence.end() - start) < run.size()) return false;
  return std::equal(run.begin(), run.end(), start);
}

// A residual add folded into the conv that starts its chain.
struct Link {
  int add = 0;    // the add node
  int other = 0;  // its input that is not the chain
  float scale = 1.0f;
};

class Planner {
 public:
  explicit Planner(const Graph& graph)
      : g_(graph),
        n_(graph.nodes.size()),
        consumers_(n_),
        group_of_(n_, -1),
        needs_copy_(n_, false),
        layout_(n_, Layout::kPlain),
        chain_(n_),
        intermediate_(n_, false),
        chain_end_(n_),
        value_of_(n_, -1),
        area_(n_, 1.0) {
    std::iota(chain_end_.begin(), chain_end_.end(), 0);
  }

  ExecutionPlan build() {
    for (size_t i = 0; i < n_; ++i) {
      for (int in : g_.nodes[i].inputs) consumers_[in].push_back(static_cast<int>(i));
    }
    compute_areas();
    arrange_concat_groups();
    choose_layouts();
    fuse_residual_adds();
    place_values();
    emit_steps();
    std::vector<double> relative_sizes(plan_.buffers.size(), 0.0);
    for (const PlannedValue& v : plan_.values) {
      const PlannedBuffer& b = plan_.buffers[v.buffer];
      relative_sizes[v.buffer] = padded_channels(b.layout, b.channels) * area_[v.node];
    }
    plan_.slot_count = assign_buffer_slots(plan_, relative_sizes);
    return std::move(plan_);
  }

 private:
  // Spatial area of each value relative to the input: sizes buffers for slot sharing.
  void compute_areas() {
    for (size_t i = 1; i < n_; ++i) {
      const Node& n = g_.nodes[i];
      const double f2 = static_cast<double>(n.factor) * n.factor;
      area_[i] = area_[n.inputs[0]];
      if (n.kind == OpKind::kUpsampleNearest || n.kind == OpKind::kPixelShuffle) area_[i] *= f2;
      if (n.kind == OpKind::kPixelUnshuffle) area_[i] /= f2;
    }
  }

  // Values that multi-input convs read together go side by side in one buffer,
  // ordered so every such conv reads one contiguous channel range (the dense
  // block's x, x1..x4). Where no order serves every conv, they copy instead.
  void arrange_concat_groups() {
    UnionFind sets(n_);
    std::vector<int> concat_convs;
    for (size_t i = 0; i < n_; ++i) {
      const Node& n = g_.nodes[i];
      if (n.kind != OpKind::kConv || n.inputs.size() < 2) continue;
      if (has_duplicates(n.inputs)) {
        needs_copy_[i] = true;
        continue;
      }
      concat_convs.push_back(static_cast<int>(i));
      for (int in : n.inputs) sets.unite(n.inputs[0], in);
    }
    std::map<int, std::vector<int>> convs_by_set;
    for (int c : concat_convs) convs_by_set[sets.find(g_.nodes[c].inputs[0])].push_back(c);

    for (const auto& [root, convs] : convs_by_set) {
      const std::vector<int>* longest = &g_.nodes[convs[0]].inputs;
      std::set<int> members;
      for (int c : convs) {
        const std::vector<int>& ins = g_.nodes[c].inputs;
        if (ins.size() > longest->size()) longest = &ins;
        members.insert(ins.begin(), ins.end());
      }
      bool arranged = members.size() == longest->size();
      for (int c : convs) arranged = arranged && is_contiguous_run(*longest, g_.nodes[c].inputs);
      if (!arranged) {
        for (int c : convs) needs_copy_[c] = true;
        continue;
      }
      const int id = static_cast<int>(groups_.size());
      groups_.push_back(*longest);
      for (int m : *longest) group_of_[m] = id;
      // Blocked views must start on a channel block: every member but the
      // last needs a whole number of blocks.
      int total = 0;
      bool aligned = true;
      for (size_t k = 0; k < longest->size(); ++k) {
        const int channels = g_.nodes[(*longest)[k]].channels;
        total += channels;
        if (k + 1 < longest->size() && channels % kChannelBlock != 0) aligned = false;
      }
      group_layouts_.push_back(aligned && total >= kChannelBlock ? Layout::kBlocked
                                                                 : Layout::kPlain);
    }
  }

  // Wide values are blocked. oneDNN's fast convs take narrow inputs only as
  // nchw and write narrow outputs only as nChw16c, so a narrow value follows
  // the conv that reads it, else the conv that writes it.
  void choose_layouts() {
    for (size_t i = 0; i < n_; ++i) {
      const Node& n = g_.nodes[i];
      if (group_of_[i] >= 0) {
        layout_[i] = group_layouts_[group_of_[i]];
        continue;
      }
      const bool read_by_conv = std::any_of(consumers_[i].begin(), consumers_[i].end(), [&](int c) {
        return g_.nodes[c].kind == OpKind::kConv;
      });
      if (n.channels >= kChannelBlock) {
        layout_[i] = Layout::kBlocked;
      } else if (read_by_conv || n.kind == OpKind::kInput) {
        layout_[i] = Layout::kPlain;
      } else {
        layout_[i] = n.kind == OpKind::kConv ? Layout::kBlocked : Layout::kPlain;
      }
    }
  }

  // A conv whose only reader is `scale * conv + other` (other weighted 1)
  // computes the add itself: eltwise_linear(scale) and binary_add(other)
  // post-ops. The RDB's 0.2 * x5 + x and the RRDB's 0.2 * rdb3 + x chain.
  void fuse_residual_adds() {
    const int output = g_.output();
    for (size_t head = 0; head < n_; ++head) {
      const Node& n = g_.nodes[head];
      // PReLU runs as a primitive after the conv, so adds cannot precede it.
      if (n.kind != OpKind::kConv || g_.convs[n.conv].activation == Activation::kPRelu) continue;
      std::vector<Link> links;
      int cur = static_cast<int>(head);
      while (cur != output && consumers_[cur].size() == 1) {
        const int add = consumers_[cur][0];
        const Node& a = g_.nodes[add];
        if (a.kind != OpKind::kAdd || a.inputs[0] == a.inputs[1]) break;
        const bool first = a.inputs[0] == cur;
        const int other = first ? a.inputs[1] : a.inputs[0];
        // The residual must exist, materialised, when the conv runs.
        if ((first ? a.beta : a.alpha) != 1.0f || other >= static_cast<int>(head) ||
            intermediate_[other]) {
          break;
        }
        links.push_back({add, other, first ? a.alpha : a.beta});
        cur = add;
      }
      // binary_add reads its operand in the output's layout.
      while (!links.empty()) {
        const Layout out = layout_[links.back().add];
        if (std::all_of(links.begin(), links.end(),
                        [&](const Link& l) { return layout_[l.other] == out; })) {
          break;
        }
        links.pop_back();
      }
      if (links.empty()) continue;
      intermediate_[head] = true;
      for (size_t k = 0; k + 1 < links.size(); ++k) intermediate_[links[k].add] = true;
      chain_end_[head] = links.back().add;
      chain_[head] = std::move(links);
    }
  }

  int add_buffer(Layout layout, int channels) {
    plan_.buffers.push_back({layout, channels, -1});
    return static_cast<int>(plan_.buffers.size()) - 1;
  }

  int add_value(int node, int buffer, int offset, int channels) {
    plan_.values.push_back({node, buffer, offset, channels});
    return static_cast<int>(plan_.values.size()) - 1;
  }

  void place_values() {
    for (size_t id = 0; id < groups_.size(); ++id) {
      int total = 0;
      for (int m : groups_[id]) total += g_.nodes[m].channels;
      const int buffer = add_buffer(group_layouts_[id], total);
      int offset = 0;
      for (int m : groups_[id]) {
        value_of_[m] = add_value(m, buffer, offset, g_.nodes[m].channels);
        offset += g_.nodes[m].channels;
      }
    }
    for (size_t i = 0; i < n_; ++i) {
      if (group_of_[i] >= 0 || intermediate_[i]) continue;
      const int channels = g_.nodes[i].channels;
      value_of_[i] = add_value(static_cast<int>(i), add_buffer(layout_[i], channels), 0, channels);
    }
  }

  std::vector<int> values_of(const std::vector<int>& nodes) const {
    std::vector<int> out;
    for (int n : nodes) out.push_back(value_of_[n]);
    return out;
  }

  void emit_steps() {
    std::vector<bool> produced_by_chain(n_, false);
    for (size_t i = 0; i < n_; ++i) {
      for (const Link& l : chain_[i]) produced_by_chain[l.add] = true;
    }
    for (size_t i = 0; i < n_; ++i) {
      const Node& n = g_.nodes[i];
      Step s;
      s.inputs = values_of(n.inputs);
      s.output = value_of_[chain_end_[i]];
      s.factor = n.factor;
      switch (n.kind) {
        case OpKind::kInput:
          s.kind = StepKind::kLoadInput;
          break;
        case OpKind::kConv:
          if (needs_copy_[i]) {
            const int channels = g_.convs[n.conv].in_channels;
            const Layout layout = channels >= kChannelBlock ? Layout::kBlocked : Layout::kPlain;
            Step copy;
            copy.kind = StepKind::kConcatCopy;
            copy.inputs = s.inputs;
            copy.output = add_value(static_cast<int>(i), add_buffer(layout, channels), 0, channels);
            s.inputs = {copy.output};
            plan_.steps.push_back(std::move(copy));
          }
          s.kind = StepKind::kConv;
          s.conv = n.conv;
          for (const Link& l : chain_[i]) s.fused_adds.push_back({l.scale, value_of_[l.other]});
          break;
        case OpKind::kAdd:
          if (produced_by_chain[i]) continue;
          s.kind = StepKind::kAdd;
          s.alpha = n.alpha;
          s.beta = n.beta;
          break;
        case OpKind::kUpsampleNearest:
          s.kind = StepKind::kUpsampleNearest;
          break;
        case OpKind::kPixelShuffle:
          s.kind = StepKind::kPixelShuffle;
          break;
        case OpKind::kPixelUnshuffle:
          s.kind = StepKind::kPixelUnshuffle;
          break;
      }
      plan_.steps.push_back(std::move(s));
    }
    plan_.output_value = value_of_[g_.output()];
  }

  const Graph& g_;
  const size_t n_;
  std::vector<std::vector<int>> consumers_;
  std::vector<std::vector<int>> groups_;  // members in channel order
  std::vector<Layout> group_layouts_;
  std::vector<int> group_of_;
  std::vector<bool> needs_copy_;
  std::vector<Layout> layout_;
  std::vector<std::vector<Link>> chain_;  // by head conv node
  std::vector<bool> intermediate_;        // folded away: never materialised
  std::vector<int> chain_end_;            // node a step writes: itself or its last folded add
  std::vector<int> value_of_;
  std::vector<double> area_;
  ExecutionPlan plan_;
};

}  // namespace

Result<ExecutionPlan> plan_execution(const Graph& graph, ConvWeights weights) {
  RESR_RETURN_IF_ERROR(validate_graph(graph, weights));
  return Planner(graph).build();
}

}  // namespace resr::cpu
