#include "backend/cpu/cpu_session.hpp"

#include <unistd.h>

#include <cstring>
#include <string>

#include "backend/cpu/dnnl_errors.hpp"
#include "backend/cpu/omp_thread_scope.hpp"

namespace resr::cpu {

namespace {

// Enough for a tiled image's interior, edge and corner tile sizes.
constexpr size_t kCachedPrograms = 6;
constexpr size_t kArenaAlignment = 4096;

size_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
}

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

std::string size_string(int64_t height, int64_t width) {
  return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

CpuSession::CpuSession(std::shared_ptr<const CpuCompiledModel> model)
    : model_(std::move(model)), stream_(model_->engine()), weights_(model_->engine()) {}

Status CpuSession::reserve_arena(size_t bytes) {
  if (bytes <= arena_bytes_) return Status::ok();
  const size_t physical = physical_memory_bytes();
  if (physical != 0 && bytes > physical) {
    return error(ErrorCode::kResourceExhausted,
                 "cpu backend: this input needs " + mib(bytes) +
                     " of activation memory, more than the machine's " + mib(physical) +
                     "; use smaller tiles");
  }
  const size_t rounded = (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  // The old arena stays in place (and bound) until the new one exists.
  char* p = static_cast<char*>(std::aligned_alloc(kArenaAlignment, rounded));
  if (p == nullptr) {
    return error(ErrorCode::kResourceExhausted,
                 "cpu backend: cannot allocate " + mib(bytes) + " of activation memory");
  }
  // Defined contents from the start: runs must not depend on stale memory.
  std::memset(p, 0, rounded);
  arena_.reset(p);
  arena_bytes_ = rounded;
  for (CachedProgram& cached : programs_) cached.program->bind(arena_.get());
  return Status::ok();
}

Result<const ShapeProgram*> CpuSession::program_for(int64_t height, int64_t width) {
  for (auto it = programs_.begin(); it != programs_.end(); ++it) {
    if (it->height == height && it->width == width) {
      programs_.splice(programs_.begin(), programs_, it);
      return static_cast<const ShapeProgram*>(it->program.get());
    }
  }
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<ShapeProgram> program,
                        ShapeProgram::create(*model_, height, width));
  if (programs_.size() >= kCachedPrograms) programs_.pop_back();
  RESR_RETURN_IF_ERROR(reserve_arena(program->arena_bytes()));
  program->bind(arena_.get());
  programs_.push_front({height, width, std::move(program)});
  return static_cast<const ShapeProgram*>(programs_.front().program.get());
}

Result<Tensor> CpuSession::run(const Tensor& input) {
  const int channels = model_->nodes()[0].channels;
  if (input.shape.size() != 3 || input.channels() != channels || input.height() < 1 ||
      input.width() < 1 || input.data.size() != input.numel()) {
    return error(ErrorCode::kInvalidArgument, "cpu backend: input must be " +
                                                  std::to_string(channels) + " x H x W, got " +
                                                  shape_to_string(input.shape));
  }
  const int64_t height = input.height(), width = input.width();
  OmpThreadScope threads(model_->threads());
  return catch_dnnl_errors(
      "cpu backend: running a " + size_string(height, width) + " input", [&]() -> Result<Tensor> {
        RESR_ASSIGN_OR_RETURN(const ShapeProgram* program, program_for(height, width));
        return program->run(input, stream_, weights_);
      });
}

}  // namespace resr::cpu
