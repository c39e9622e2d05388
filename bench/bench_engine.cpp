// Engine throughput of the cpu backend, by default on the two shapes that
// matter: realesrgan-x4plus (RRDBNet, 23 blocks) at 128x128 and
// realesr-general-x4v3 (SRVGG, 32 convs, PReLU) at 256x256; --case picks
// others. Loads the real model from --model-dir when it is there, else builds the same architecture
// with random weights (speed does not depend on the weight values). Prints the median time, the
// effective GFLOP/s and, given --peak-gflops (run_engine_bench.sh measures
// it), the fraction of the machine's fp32 FMA peak.
//
//   bench_engine [--threads 2] [--reps 5] [--peak-gflops X] [--model-dir models] [--bf16]
//                [--case MODEL:SIZE]...
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.hpp"
#include "cpu_clock.hpp"
#include "model/arch/rrdbnet.hpp"
#include "model/arch/srvgg.hpp"
#include "model/model.hpp"

namespace {

using resr::Tensor;

struct Case {
  std::string model;  // realesrgan-x4plus or realesr-general-x4v3: file stem in --model-dir
  int size = 0;       // square input side
};

struct Options {
  int threads = 2;
  int reps = 5;
  double peak_gflops = 0;
  std::string model_dir = "models";
  bool bf16 = false;
  std::vector<Case> cases;
};

Tensor random_tensor(std::vector<int64_t> shape, float bound, std::mt19937& rng) {
  Tensor t(shape, {});
  std::uniform_real_distribution<float> u(-bound, bound);
  t.data.resize(t.numel());
  for (float& v : t.data) v = u(rng);
  return t;
}

void add_conv(resr::LoadedWeights& w, const std::string& prefix, int in, int out,
              std::mt19937& rng) {
  w.tensors[prefix + ".weight"] = random_tensor({out, in, 3, 3}, std::sqrt(3.0f / (in * 9)), rng);
  w.tensors[prefix + ".bias"] = random_tensor({out}, 0.05f, rng);
}

// basicsr-named random state dicts for the arch builders.
resr::LoadedWeights random_x4plus() {
  std::mt19937 rng(1);
  resr::LoadedWeights w;
  const int feat = 64, grow = 32;
  add_conv(w, "conv_first", 3, feat, rng);
  for (int b = 0; b < 23; ++b) {
    for (int r = 1; r <= 3; ++r) {
      for (int c = 1; c <= 5; ++c) {
        add_conv(
            w,
            "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(c),
            feat + (c - 1) * grow, c == 5 ? feat : grow, rng);
      }
    }
  }
  for (const char* name : {"conv_body", "conv_up1", "conv_up2", "conv_hr"}) {
    add_conv(w, name, feat, feat, rng);
  }
  add_conv(w, "conv_last", feat, 3, rng);
  return w;
}

resr::LoadedWeights random_general_x4v3() {
  std::mt19937 rng(2);
  resr::LoadedWeights w;
  const int feat = 64, convs = 32;
  for (int i = 0; i <= convs; ++i) {
    add_conv(w, "body." + std::to_string(2 * i), i == 0 ? 3 : feat, feat, rng);
    w.tensors["body." + std::to_string(2 * i + 1) + ".weight"] = random_tensor({feat}, 0.25f, rng);
  }
  add_conv(w, "body." + std::to_string(2 * convs + 2), feat, 3 * 16, rng);
  return w;
}

resr::Result<resr::Graph> model_graph(const Case& c, const Options& o, std::string& source) {
  const std::filesystem::path param = std::filesystem::path(o.model_dir) / (c.model + ".param");
  if (std::filesystem::exists(param)) {
    RESR_ASSIGN_OR_RETURN(auto model, resr::load_model(param));
    source = param.string();
    return model->graph;
  }
  source = "random weights";
  const bool rrdb = c.model == "realesrgan-x4plus";
  RESR_ASSIGN_OR_RETURN(resr::Model model, rrdb ? resr::build_rrdbnet(random_x4plus())
                                                : resr::build_srvgg(random_general_x4v3(), ""));
  return model.graph;
}

// MODEL:SIZE, e.g. realesrgan-x4plus:256.
bool parse_case(const std::string& spec, std::vector<Case>& cases) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) return false;
  const Case c{spec.substr(0, colon), std::atoi(spec.c_str() + colon + 1)};
  if ((c.model != "realesrgan-x4plus" && c.model != "realesr-general-x4v3") || c.size < 1) {
    return false;
  }
  cases.push_back(c);
  return true;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--threads" && has_value) {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--reps" && has_value) {
      o.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--peak-gflops" && has_value) {
      o.peak_gflops = std::atof(argv[++i]);
    } else if (a == "--model-dir" && has_value) {
      o.model_dir = argv[++i];
    } else if (a == "--bf16") {
      o.bf16 = true;
    } else if (a != "--case" || !has_value || !parse_case(argv[++i], o.cases)) {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--reps N] [--peak-gflops X] [--model-dir DIR] "
                   "[--bf16] [--case realesrgan-x4plus|realesr-general-x4v3:SIZE]...\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

int run_case(const Case& c, const Options& o) {
  std::string source;
  auto graph = model_graph(c, o, source);
  if (!graph.is_ok()) {
    std::fprintf(stderr, "%s: %s\n", c.model.c_str(), graph.status().message().c_str());
    return 1;
  }
  const resr::BackendOptions options{o.threads,
                                     o.bf16 ? resr::Precision::kBf16 : resr::Precision::kFp32};
  auto compiled = resr::make_cpu_backend()->compile(*graph, options);
  if (!compiled.is_ok()) {
    std::fprintf(stderr, "%s: %s\n", c.model.c_str(), compiled.status().message().c_str());
    return 1;
  }
  auto session = compiled.value()->new_session();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Tensor input = Tensor::chw(3, c.size, c.size);
  for (float& v : input.data) v = unit(rng);

  std::vector<double> seconds, cpu_seconds;
  for (int r = 0; r <= o.reps; ++r) {  // the first run creates the primitives
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    auto out = session->run(input);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) cpu_seconds.push_back(process_cpu_seconds() - cpu0);
    if (!out.is_ok()) {
      std::fprintf(stderr, "%s: %s\n", c.model.c_str(), out.status().message().c_str());
      return 1;
    }
    if (r > 0) seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu_seconds.begin(), cpu_seconds.end());
  const double median = seconds[seconds.size() / 2];
  const double gflop = graph->flops_per_input_pixel() * c.size * c.size / 1e9;
  const double gflops = gflop / median;
  const double per_cpu_second = gflop / cpu_seconds[cpu_seconds.size() / 2];
  std::printf(
      "%-22s %4dx%-4d %s threads=%d  median %.3f s (min %.3f, max %.3f, n=%zu)  %.1f GFLOP/s",
      c.model.c_str(), c.size, c.size, o.bf16 ? "bf16" : "fp32", o.threads, median, seconds.front(),
      seconds.back(), seconds.size(), gflops);
  if (o.peak_gflops > 0) std::printf("  %.1f%% of fp32 peak", 100.0 * gflops / o.peak_gflops);
  std::printf("\n    %.1f GFLOP per CPU-second", per_cpu_second);
  if (o.peak_gflops > 0 && o.threads > 0) {
    std::printf(" (%.1f%% of one core's peak)",
                100.0 * per_cpu_second / (o.peak_gflops / o.threads));
  }
  std::printf("  [%s]\n", source.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  int failures = 0;
  if (o.cases.empty()) o.cases = {{"realesrgan-x4plus", 128}, {"realesr-general-x4v3", 256}};
  for (const Case& c : o.cases) {
    failures += run_case(c, o);
  }
  return failures == 0 ? 0 : 1;
}
