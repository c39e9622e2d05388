// One caller's run state on the cpu backend: a stream, an arena holding every
// activation and the primitives' scratchpad, and the programs (primitives) of
// the input sizes seen recently, so repeated sizes create nothing.
#pragma once

#include <cstdlib>
#include <list>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/cpu_compiled_model.hpp"
#include "backend/cpu/shape_program.hpp"

namespace resr::cpu {

class CpuSession final : public Session {
 public:
  explicit CpuSession(std::shared_ptr<const CpuCompiledModel> model);

  Result<Tensor> run(const Tensor& input) override;

 private:
  struct CachedProgram {
    int64_t height = 0;
    int64_t width = 0;
    std::unique_ptr<ShapeProgram> program;
  };
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };

  Result<const ShapeProgram*> program_for(int64_t height, int64_t width);
  Status reserve_arena(size_t bytes);

  std::shared_ptr<const CpuCompiledModel> model_;
  dnnl::stream stream_;
  std::unique_ptr<char, FreeDeleter> arena_;
  size_t arena_bytes_ = 0;
  RelaidWeights weights_;
  std::list<CachedProgram> programs_;  // most recently used first
};

}  // namespace resr::cpu
