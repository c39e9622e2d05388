// Sets the calling thread's OpenMP team size for a scope, then restores it.
// oneDNN (OpenMP runtime) and the activation ops take their thread count from
// it, and oneDNN fixes a primitive's work split when the primitive is created.
#pragma once

#include <omp.h>

namespace resr::cpu {

class OmpThreadScope {
 public:
  explicit OmpThreadScope(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~OmpThreadScope() { omp_set_num_threads(saved_); }
  OmpThreadScope(const OmpThreadScope&) = delete;
  OmpThreadScope& operator=(const OmpThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace resr::cpu
