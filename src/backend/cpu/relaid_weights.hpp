// Weights in the layout a primitive picked for the current input size, when
// that differs from the layout they are kept in. Winograd weights change
// layout with the input size (among 2-3 variants on oneDNN 2.6, each 4x the
// plain size): one variant per conv is kept, replaced when a size needs
// another, so memory stays at one copy whatever sizes a session sees.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/conv_primitive.hpp"

namespace resr::cpu {

class RelaidWeights {
 public:
  explicit RelaidWeights(const dnnl::engine& engine) : engine_(engine), relayout_(engine) {}

  // `from` itself when it is laid out as `to`, else its copy in layout `to`.
  dnnl::memory get(const dnnl::memory& from, const dnnl::memory::desc& to);

 private:
  // Copies live in their own mappings: a replaced variant goes back to the
  // system instead of fragmenting the heap (megabytes per conv, hundreds of convs).
  struct Unmap {
    size_t bytes;
    void operator()(void* p) const;
  };
  struct Copy {
    std::unique_ptr<void, Unmap> storage{nullptr, Unmap{0}};
    dnnl::memory weights;
  };
  dnnl::engine engine_;
  Relayout relayout_;
  std::map<const void*, Copy> current_;  // by the source's data
};

}  // namespace resr::cpu
