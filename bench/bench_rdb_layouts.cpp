// Which activation layout should the cpu backend use on this machine? Runs one
// realesrgan-x4plus residual dense block (five 3x3 convs, 64 features, growth
// 32: 95% of the model's FLOPs are these blocks) both ways and prints CPU
// seconds, so the answer holds on a busy machine too:
//  - blocked: nChw16c, what the backend does. The convs read channel prefixes
//    of one 192-channel buffer and write at channel offsets: no copies; oneDNN
//    2.6 picks its direct JIT conv for these layouts.
//  - nhwc: oneDNN 2.6's brgemm conv takes only dense nhwc tensors (a channel
//    view of a wider nhwc buffer falls to the reference conv), so each conv
//    reads its own dense input (96, 128, 160, 192 channels) and every new
//    32-channel output is copied into the inputs that still need it.
//
//   bench_rdb_layouts [--size 130] [--threads 1] [--reps 5] [--bf16]
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu_clock.hpp"

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

constexpr int kFeatures = 64, kGrowth = 32, kConvs = 5;

int in_channels(int conv) { return kFeatures + kGrowth * conv; }
int out_channels(int conv) { return conv + 1 == kConvs ? kFeatures : kGrowth; }

struct Options {
  int size = 130;  // a 128x128 tile with its 1-pixel halo
  int threads = 1;
  int reps = 5;
  bool bf16 = false;
};

// How the block's last conv adds its residual: out = 0.2 * conv + x.
enum class Residual {
  kNone,
  kBinaryAdd,  // x is a separate operand (blocked: x lives in the concat buffer)
  kSum,        // x already in dst (nhwc: the block writes over its own input)
};

class Bench {
 public:
  explicit Bench(const Options& o)
      : o_(o), type_(o.bf16 ? memory::data_type::bf16 : memory::data_type::f32) {}

  // Adds conv `conv` of the block reading `src` and writing `dst` (pointers
  // into buffers owned here); returns oneDNN's implementation name.
  std::string add_conv(int conv, Tag layout, char* src, char* dst, Residual residual,
                       char* operand) {
    const memory::desc src_md = desc(in_channels(conv), layout);
    const memory::desc dst_md = desc(out_channels(conv), layout);
    const memory::desc weights_md({out_channels(conv), in_channels(conv), 3, 3}, type_, Tag::any);
    const memory::desc bias_md({out_channels(conv)}, memory::data_type::f32, Tag::x);
    const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::convolution_direct, src_md, weights_md,
                                            bias_md, dst_md, {1, 1}, {1, 1}, {1, 1});
    dnnl::post_ops ops;
    if (residual == Residual::kNone) {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.2f, 0.0f);
    } else {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 0.2f, 0.0f);
      if (residual == Residual::kBinaryAdd) ops.append_binary(dnnl::algorithm::binary_add, dst_md);
      if (residual == Residual::kSum) ops.append_sum(1.0f);
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const dnnl::convolution_forward::primitive_desc pd(d, attr, engine_);
    // Zero weights: speed does not depend on the values, and repeated runs stay finite.
    memory weights(pd.weights_desc(), engine_), bias(bias_md, engine_);
    std::memset(weights.get_data_handle(), 0, pd.weights_desc().get_size());
    std::memset(bias.get_data_handle(), 0, bias_md.get_size());
    Conv c{dnnl::convolution_forward(pd),
           {{DNNL_ARG_SRC, memory(src_md, engine_, src)},
            {DNNL_ARG_WEIGHTS, weights},
            {DNNL_ARG_BIAS, bias},
            {DNNL_ARG_DST, memory(dst_md, engine_, dst)}}};
    if (residual == Residual::kBinaryAdd) {
      c.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1] = memory(dst_md, engine_, operand);
    }
    convs_.push_back(std::move(c));
    return pd.impl_info_str();
  }

  void run_conv(int index) {
    convs_[index].primitive.execute(stream_, convs_[index].args);
    stream_.wait();
  }

  char* buffer(int channels) {
    const size_t bytes = static_cast<size_t>(channels) * pixels() * element_bytes();
    buffers_.emplace_back(
        static_cast<char*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096)));
    std::memset(buffers_.back().get(), 0, bytes);
    return buffers_.back().get();
  }

  // Copies a dense nhwc `channels`-channel tensor into each (buffer, its
  // channel count) at channel `offset`: one pass over the source.
  void scatter(const char* src, int channels, const std::vector<std::pair<char*, int>>& dsts,
               int offset) const {
    const size_t es = element_bytes(), row = channels * es;
    const int64_t n = pixels();
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < n; ++p) {
      for (const auto& [dst, dst_channels] : dsts) {
        std::memcpy(dst + (p * dst_channels + offset) * es, src + p * row, row);
      }
    }
  }

  int64_t pixels() const { return static_cast<int64_t>(o_.size) * o_.size; }
  size_t element_bytes() const { return o_.bf16 ? 2 : 4; }

 private:
  struct Conv {
    dnnl::convolution_forward primitive;
    std::unordered_map<int, memory> args;
  };
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };

  memory::desc desc(int channels, Tag layout) const {
    return memory::desc({1, channels, o_.size, o_.size}, type_, layout);
  }

  Options o_;
  memory::data_type type_;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  std::vector<Conv> convs_;
  std::vector<std::unique_ptr<char, FreeDeleter>> buffers_;
};

// CPU seconds per phase of one block: convs 1..5, then the copies.
using Phases = std::vector<double>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Adds the CPU seconds of f() to `total`.
template <typename F>
void timed(double& total, F&& f) {
  const double start = process_cpu_seconds();
  f();
  total += process_cpu_seconds() - start;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--size" && has_value) {
      o.size = std::max(8, std::atoi(argv[++i]));
    } else if (a == "--threads" && has_value) {
      o.threads = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--reps" && has_value) {
      o.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--bf16") {
      o.bf16 = true;
    } else {
      std::fprintf(stderr, "usage: %s [--size N] [--threads N] [--reps N] [--bf16]\n", argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  omp_set_num_threads(o.threads);
  Bench bench(o);
  std::vector<std::string> impls[2];

  // Blocked: x, x1..x4 side by side; the block's output goes to its own buffer.
  char* concat = bench.buffer(in_channels(kConvs - 1));
  char* blocked_out = bench.buffer(kFeatures);
  const size_t channel_bytes = bench.pixels() * bench.element_bytes();
  for (int k = 0; k < kConvs; ++k) {
    const bool last = k + 1 == kConvs;
    impls[0].push_back(bench.add_conv(k, Tag::nChw16c, concat,
                                      last ? blocked_out : concat + in_channels(k) * channel_bytes,
                                      last ? Residual::kBinaryAdd : Residual::kNone, concat));
  }
  // nhwc: conv k reads inputs[k]; inputs[0] is x itself, which the last conv overwrites.
  std::vector<char*> inputs;
  for (int k = 0; k < kConvs; ++k) inputs.push_back(bench.buffer(in_channels(k)));
  char* growth = bench.buffer(kGrowth);
  for (int k = 0; k < kConvs; ++k) {
    const bool last = k + 1 == kConvs;
    impls[1].push_back(bench.add_conv(k, Tag::nhwc, inputs[k], last ? inputs[0] : growth,
                                      last ? Residual::kSum : Residual::kNone, nullptr));
  }
  // The tensors a new output must be copied into: every later conv's input.
  auto later_inputs = [&](int k) {
    std::vector<std::pair<char*, int>> out;
    for (int j = k + 1; j < kConvs; ++j) out.push_back({inputs[j], in_channels(j)});
    return out;
  };

  auto run_blocked = [&](Phases& t) {
    for (int k = 0; k < kConvs; ++k) timed(t[k], [&] { bench.run_conv(k); });
  };
  auto run_nhwc = [&](Phases& t) {
    timed(t[kConvs], [&] { bench.scatter(inputs[0], kFeatures, later_inputs(0), 0); });
    for (int k = 0; k + 1 < kConvs; ++k) {
      timed(t[k], [&] { bench.run_conv(kConvs + k); });
      timed(t[kConvs], [&] { bench.scatter(growth, kGrowth, later_inputs(k), in_channels(k)); });
    }
    timed(t[kConvs - 1], [&] { bench.run_conv(2 * kConvs - 1); });
  };
  Phases first(kConvs + 1);  // page faults and first-touch costs
  run_blocked(first);
  run_nhwc(first);
  // Alternate the two per repetition so drifting load hits both alike.
  std::vector<std::vector<double>> samples[2];
  samples[0].resize(kConvs + 1);
  samples[1].resize(kConvs + 1);
  for (int r = 0; r < o.reps; ++r) {
    Phases b(kConvs + 1, 0.0), n(kConvs + 1, 0.0);
    run_blocked(b);
    run_nhwc(n);
    for (int k = 0; k <= kConvs; ++k) {
      samples[0][k].push_back(b[k]);
      samples[1][k].push_back(n[k]);
    }
  }
  Phases blocked, nhwc;
  for (int k = 0; k <= kConvs; ++k) {
    blocked.push_back(median(samples[0][k]));
    nhwc.push_back(median(samples[1][k]));
  }

  std::printf(
      "one x4plus dense block, %dx%d, %s, %d thread(s), median of %d, GFLOP per CPU-second\n",
      o.size, o.size, o.bf16 ? "bf16" : "fp32", o.threads, o.reps);
  double totals[2] = {0, 0}, flop_total = 0;
  for (int k = 0; k < kConvs; ++k) {
    const double flop = 18.0 * in_channels(k) * out_channels(k) * bench.pixels();
    flop_total += flop;
    totals[0] += blocked[k];
    totals[1] += nhwc[k];
    std::printf("  conv%d %3d->%-3d  blocked %6.1f [%s]   nhwc %6.1f [%s]\n", k + 1, in_channels(k),
                out_channels(k), flop / blocked[k] / 1e9, impls[0][k].c_str(), flop / nhwc[k] / 1e9,
                impls[1][k].c_str());
  }
  totals[1] += nhwc[kConvs];
  std::printf("  nhwc copies: %.2f ms CPU (%.0f%% of its block)\n", 1e3 * nhwc[kConvs],
              100.0 * nhwc[kConvs] / totals[1]);
  std::printf(
      "  block: blocked %.2f ms CPU (%.1f GFLOP/CPU-s), nhwc %.2f ms CPU (%.1f); "
      "nhwc/blocked time %.3f\n",
      1e3 * totals[0], flop_total / totals[0] / 1e9, 1e3 * totals[1], flop_total / totals[1] / 1e9,
      totals[1] / totals[0]);
  return 0;
}
