#include "backend/cpu/relaid_weights.hpp"

namespace resr::cpu {

dnnl::memory RelaidWeights::get(const dnnl::memory& from, const dnnl::memory::desc& to) {
  if (from.get_desc() == to) return from;
  dnnl::memory& current = current_[from.get_data_handle()];
  if (!current || current.get_desc() != to) {
    current = dnnl::memory();  // frees the old variant before the new one is made
    current = relayout_(from, to);
  }
  return current;
}

}  // namespace resr::cpu
