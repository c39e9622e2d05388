// Range checks for numeric flags that state the range in --help and in the
// error, with short numbers (CLI11's own number checks print DBL_MAX's digits).
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

// Above 0 and at most `max`: "(0, 64]".
CLI::Validator above_zero_up_to(double max);
// Above 0, no upper bound: "> 0".
CLI::Validator above_zero();
// At least `min`: ">= 1".
CLI::Validator at_least(double min);
// 0 (all cores) to max_thread_count(): "[0 - 8]".
CLI::Validator thread_count_range();

}  // namespace resr
