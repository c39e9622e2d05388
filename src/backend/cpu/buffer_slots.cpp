#include "backend/cpu/buffer_slots.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace resr::cpu {

namespace {

struct Lifetime {
  int first = std::numeric_limits<int>::max();
  int last = -1;
};

std::vector<Lifetime> buffer_lifetimes(const ExecutionPlan& plan) {
  std::vector<Lifetime> life(plan.buffers.size());
  auto touch = [&](int value, int step) {
    Lifetime& l = life[plan.values[value].buffer];
    l.first = std::min(l.first, step);
    l.last = std::max(l.last, step);
  };
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Step& step = plan.steps[s];
    const int at = static_cast<int>(s);
    touch(step.output, at);
    for (int in : step.inputs) touch(in, at);
    for (const FusedAdd& add : step.fused_adds) touch(add.other, at);
  }
  touch(plan.output_value, static_cast<int>(plan.steps.size()));
  return life;
}

struct Slot {
  double size = 0;
  int busy_until = -1;  // last step of the buffer that holds it now
};

}  // namespace

int assign_buffer_slots(ExecutionPlan& plan, const std::vector<double>& relative_sizes) {
  const std::vector<Lifetime> life = buffer_lifetimes(plan);
  std::vector<int> order(plan.buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return life[a].first < life[b].first; });

  std::vector<Slot> slots;
  for (int b : order) {
    const double need = relative_sizes[b];
    // Best fit among free slots: the smallest that is large enough, else the
    // largest (it grows least).
    int best = -1;
    for (size_t s = 0; s < slots.size(); ++s) {
      if (slots[s].busy_until >= life[b].first) continue;
      if (best < 0) {
        best = static_cast<int>(s);
        continue;
      }
      const Slot& cur = slots[best];
      const bool fits = slots[s].size >= need, cur_fits = cur.size >= need;
      if (fits != cur_fits ? fits : (fits ? slots[s].size < cur.size : slots[s].size > cur.size)) {
        best = static_cast<int>(s);
      }
    }
    if (best < 0) {
      best = static_cast<int>(slots.size());
      slots.emplace_back();
    }
    slots[best].size = std::max(slots[best].size, need);
    slots[best].busy_until = life[b].last;
    plan.buffers[b].slot = best;
  }
  return static_cast<int>(slots.size());
}

}  // namespace resr::cpu
