// Load time of a model ready to run: from its model file (parse, convert,
// pack the weights) against from an engine file `build` wrote (read, verify
// the checksum, use the packed weights in place). Builds the engine into a
// temporary directory first. Prints the median of --reps loads of each.
//
//   bench_engine_load [--model-dir models] [--model realesrgan-x4plus] [--reps 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/scratch_directory.hpp"
#include "engine/runnable_model.hpp"

namespace {

double median_seconds(int reps, const std::function<void()>& load) {
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    load();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

[[noreturn]] void fail(const resr::Status& s) {
  std::fprintf(stderr, "bench_engine_load: %s\n", s.message().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir = "models";
  std::string name = "realesrgan-x4plus";
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model-dir") model_dir = argv[i + 1];
    if (flag == "--model") name = argv[i + 1];
    if (flag == "--reps") reps = std::max(1, std::stoi(argv[i + 1]));
  }
  const std::filesystem::path param = std::filesystem::path(model_dir) / (name + ".param");
  auto scratch = resr::ScratchDirectory::create("bench-engine-load");
  if (!scratch.is_ok()) fail(scratch.status());
  const std::filesystem::path engine = scratch->path() / (name + ".engine");

  const auto from_model = [&] {
    auto model = resr::load_model(param);
    if (!model.is_ok()) fail(model.status());
    auto runnable = resr::compile_model(**model, "cpu", {});
    if (!runnable.is_ok()) fail(runnable.status());
    return std::move(runnable).value();
  };
  if (resr::Status s = resr::write_engine(from_model(), std::nullopt, engine); !s.is_ok()) fail(s);

  const double model_s = median_seconds(reps, [&] { from_model(); });
  const double engine_s = median_seconds(reps, [&] {
    auto runnable = resr::load_engine(engine, {});
    if (!runnable.is_ok()) fail(runnable.status());
  });
  std::printf("%s load, median of %d: from %s %.3f s, from engine %.3f s (%.1fx faster, %.1f MB)\n",
              name.c_str(), reps, param.filename().c_str(), model_s, engine_s, model_s / engine_s,
              static_cast<double>(std::filesystem::file_size(engine)) / 1e6);
  return 0;
}
