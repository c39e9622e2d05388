// Everything a session needs to run one input size: the size of every value,
// where each lives in the session's arena, and the oneDNN primitives created
// for that size. Built once per size and reused; re-bound when the arena moves.
#pragma once

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <unordered_map>
#include <vector>

#include "backend/cpu/activation_view.hpp"
#include "backend/cpu/conv_primitive_cache.hpp"
#include "backend/cpu/cpu_compiled_model.hpp"
#include "backend/cpu/relaid_weights.hpp"
#include "core/tensor.hpp"

namespace resr::cpu {

class ShapeProgram {
 public:
  // Creates the primitives for a height x width input (within the caller's
  // OpenMP thread setting, which fixes their work split).
  static Result<std::unique_ptr<ShapeProgram>> create(const CpuCompiledModel& model, int64_t height,
                                                      int64_t width);

  // The arena a program for this size would need, without creating its
  // primitives (their scratchpad is bounded by kScratchpadAllowance).
  static size_t memory_bytes(const CpuCompiledModel& model, int64_t height, int64_t width);

  size_t arena_bytes() const { return arena_bytes_; }
  // Points every value, primitive argument and scratchpad into `arena`, which
  // must hold arena_bytes() bytes, 64-byte aligned.
  void bind(char* arena);
  // Runs a bound program; `input` is 3 x height x width. Weights the
  // primitives want in other layouts come from `weights`.
  Result<Tensor> run(const Tensor& input, dnnl::stream& stream, RelaidWeights& weights) const;

 private:
  struct ConvExecution {
    const ConvPrimitiveCache::Entry* primitives = nullptr;
    std::unordered_map<int, dnnl::memory> args;             // all but the weights
    std::unordered_map<int, dnnl::memory> activation_args;  // Winograd only
    std::unordered_map<int, dnnl::memory> residual_args;    // Winograd only
    std::unordered_map<int, dnnl::memory> prelu_args;       // all but the slopes
  };

  explicit ShapeProgram(const CpuCompiledModel& model)
      : model_(model), primitives_(model.engine()) {}
  Status plan_memory(int64_t height, int64_t width);
  Status create_primitives();
  ActivationView conv_source(const Step& step) const;

  const CpuCompiledModel& model_;
  ConvPrimitiveCache primitives_;
  std::vector<ActivationView> views_;                // per plan value; data set by bind()
  std::vector<size_t> offsets_;                      // per plan value: byte offset in the arena
  std::vector<std::optional<ConvExecution>> convs_;  // per plan step
  size_t scratchpad_offset_ = 0;
  size_t arena_bytes_ = 0;
};

}  // namespace resr::cpu
