// Weights in the layout a primitive picked for the current input size, when
// that differs from the layout they are kept in. Winograd weights change
// layout with the input size (among 2-3 variants on oneDNN 2.6, each 4x the
// plain size): one variant per conv is kept, replaced when a size needs
// another, so memory stays at one copy whatever sizes a session sees.
#pragma once

#include <map>
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/conv_primitive.hpp"

namespace resr::cpu {

class RelaidWeights {
 public:
  explicit RelaidWeights(const dnnl::engine& engine) : relayout_(engine) {}

  // `from` itself when it is laid out as `to`, else its copy in layout `to`.
  dnnl::memory get(const dnnl::memory& from, const dnnl::memory::desc& to);

 private:
  Relayout relayout_;
  std::map<const void*, dnnl::memory> current_;  // by the source's data
};

}  // namespace resr::cpu
