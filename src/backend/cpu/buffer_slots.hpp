// Memory sharing between buffers: two buffers whose lifetimes (first write to
// last read, in step order) do not overlap may occupy the same arena slot.
#pragma once

#include <vector>

#include "backend/cpu/execution_plan.hpp"

namespace resr::cpu {

// Sets every buffer's slot and returns the number of slots. `relative_sizes`
// (one per buffer, any common unit) steers buffers into slots of similar size
// so the arena, sized per run as the sum of each slot's largest buffer, stays
// small. The plan's output value stays live to the end.
int assign_buffer_slots(ExecutionPlan& plan, const std::vector<double>& relative_sizes);

}  // namespace resr::cpu
