// The execution backend interface. A backend compiles a Graph into an
// immutable CompiledModel (weights packed once, shareable across threads);
// each run uses its own Session (buffers, primitives, scratch), which must
// not outlive the CompiledModel it came from.
// Backends know nothing of files, images, HTTP or tiles.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/packed_blobs.hpp"
#include "core/graph.hpp"
#include "core/tensor.hpp"
#include "resr/status.hpp"

namespace resr {

enum class Precision { kFp32, kBf16 };

const char* precision_name(Precision precision);  // "fp32", "bf16"

struct BackendOptions {
  int threads = 0;  // 0 = all cores
  Precision precision = Precision::kFp32;
};

class Session {
 public:
  virtual ~Session() = default;
  // input: {3, H, W} in [0, 1]; returns {3, H * scale, W * scale}, unclamped.
  virtual Result<Tensor> run(const Tensor& input) = 0;
};

class CompiledModel {
 public:
  virtual ~CompiledModel() = default;
  virtual std::unique_ptr<Session> new_session() const = 0;
  // The compiled weights in the backend's own layout, for an engine file;
  // Backend::compile_packed turns them back into a model without converting.
  virtual Result<PackedBlobs> pack() const = 0;
  // What memory a run costs, for choosing tile sizes: the weights (with the
  // largest copy a session makes of them in another layout), and a session's
  // activations and scratch for one height x width input.
  virtual int64_t weight_bytes() const = 0;
  virtual int64_t activation_bytes(int64_t height, int64_t width) const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Result<std::shared_ptr<const CompiledModel>> compile(
      const Graph& graph, const BackendOptions& options) const = 0;
  // `graph` as compiled from pack()'s blobs: its convs carry no weights.
  // options.precision must be the one the blobs were packed at.
  virtual Result<std::shared_ptr<const CompiledModel>> compile_packed(
      const Graph& graph, const PackedBlobs& blobs, const BackendOptions& options) const = 0;
  virtual bool supports(Precision precision) const = 0;
  // The supported precision that runs fastest on this machine.
  virtual Precision fastest_precision() const = 0;
  // What packed weights depend on besides the graph (for cpu: the instruction
  // set oneDNN dispatches to and its version). Engine files record it and are
  // refused on a machine whose target differs.
  virtual std::string target() const = 0;
};

// The registry: the only place that knows which backends exist.
Result<std::unique_ptr<Backend>> make_backend(const std::string& name);
std::vector<std::string> backend_names();

// Threads to use for a request of `threads` (0 = all cores).
int resolve_thread_count(int threads);
// The most threads a request may ask for: 4 x the hardware threads, at most
// 1024 (more only thrashes, and far more crashes the OpenMP runtime).
int max_thread_count();

}  // namespace resr
