#include "upscale_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/job_list.hpp"
#include "numeric_flags.hpp"
#include "resr/upscale.hpp"
#include "runtime_options.hpp"

namespace resr {

namespace fs = std::filesystem;

struct UpscaleArgs {
  std::string input;
  std::string output;
  RuntimeOptions runtime;
  double outscale = 0;
  int tile = 0;
  int tile_pad = kDefaultTilePad;
  std::string max_memory = "1G";
  int gpu_id = -1;
  std::string alpha = "model";
  std::string suffix = "out";
  std::string format;
  int quality = 95;
  int64_t max_input_pixels = ImageLimits{}.max_input_pixels;
  int64_t max_output_pixels = ImageLimits{}.max_output_pixels;
  bool overwrite = false;
  bool recursive = false;
  bool continue_on_error = false;
  bool json = false;
  bool quiet = false;
};

namespace {

using Clock = std::chrono::steady_clock;

// Decoded size up to which the next image of a folder run is decoded ahead,
// and output size up to which an image is encoded while the next one runs.
constexpr int64_t kPrefetchBytes = int64_t{64} << 20;
constexpr int64_t kDeferredWriteBytes = int64_t{64} << 20;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Progress on stderr: a rewritten line on a terminal, one line per image otherwise.
class Progress {
 public:
  Progress(bool quiet, size_t images) : quiet_(quiet), tty_(isatty(2)), images_(images) {}

  void tiles(size_t image, int done, int total) {
    if (quiet_ || !tty_) return;
    const double elapsed = seconds_since(image_start_);
    const double eta = done > 0 ? elapsed * (total - done) / done : 0;
    std::fprintf(stderr, "\r[%zu/%zu] tiles %d/%d  ETA %.0fs   ", image + 1, images_, done, total,
                 eta);
  }
  void start_image() { image_start_ = Clock::now(); }
  void line(const std::string& text) {
    if (quiet_) return;
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", text.c_str());
  }

 private:
  bool quiet_;
  bool tty_;
  size_t images_;
  Clock::time_point image_start_ = Clock::now();
};

struct ImageOutcome {
  Status status;
  fs::path output;
  UpscaleReport report;
  bool skipped = false;
  // Computed, not yet written: status and report come from its write().
  std::optional<DeferredWrite> deferred;
};

// `defer`: compute the output into memory and leave its encoding to the
// caller, to run while the next image is upscaled (for small outputs).
ImageOutcome upscale_one(const UpscaleJob& job, Result<InputImage> image, const UpscaleArgs& args,
                         Session& session, UpscaleOptions options, bool defer) {
  ImageOutcome outcome;
  outcome.output = job.output;
  std::error_code ec;
  if (!image.is_ok()) {
    outcome.status = image.status();
    return outcome;
  }

  // The output extension names the format; alpha needs a format that keeps it.
  OutputFormat format = output_format_from_name(job.output.extension().string().substr(1))
                            .value_or(OutputFormat::kPng);
  if (image->info().has_alpha && !output_format_keeps_alpha(format)) {
    format = OutputFormat::kPng;
    outcome.output.replace_extension(".png");
  }
  if (fs::exists(outcome.output, ec) && !args.overwrite) {
    outcome.skipped = true;
    return outcome;
  }
  const fs::path folder =
      outcome.output.parent_path().empty() ? fs::path(".") : outcome.output.parent_path();
  if (!fs::create_directories(folder, ec) && ec) {
    outcome.status =
        error(ErrorCode::kIoError, "cannot create the output folder '" + folder.string() +
                                       "' for " + outcome.output.string() + ": " + ec.message());
    return outcome;
  }
  // Outputs are written beside their name and renamed, so an output file that
  // exists is always complete (a stopped folder run resumes by skipping it).
  const OutputOptions output_options{format, args.quality};
  if (defer) {
    auto deferred = upscale_image_deferred(session, std::move(image).value(), outcome.output,
                                           output_options, options);
    if (deferred.is_ok()) {
      outcome.deferred.emplace(std::move(deferred).value());
    } else {
      outcome.status = deferred.status();
    }
    return outcome;
  }
  auto report =
      upscale_image(session, std::move(image).value(), outcome.output, output_options, options);
  if (!report.is_ok()) {
    outcome.status = report.status();
    return outcome;
  }
  outcome.report = *report;
  return outcome;
}

// An image whose encoding runs on another thread while the next is upscaled.
struct Encoding {
  size_t index;
  Clock::time_point start;
  std::future<ImageOutcome> outcome;
};

std::future<ImageOutcome> encode_in_background(ImageOutcome computed) {
  return std::async(std::launch::async, [outcome = std::move(computed)]() mutable {
    Result<UpscaleReport> report = outcome.deferred->write();
    outcome.deferred.reset();
    if (report.is_ok()) {
      outcome.report = *report;
    } else {
      outcome.status = report.status();
    }
    return std::move(outcome);
  });
}

}  // namespace

std::shared_ptr<UpscaleArgs> add_upscale_options(CLI::App& app) {
  auto a = std::make_shared<UpscaleArgs>();
  app.add_option("-i,--input", a->input, "input image or folder");
  app.add_option("-o,--output", a->output,
                 "output file or folder (default: beside the input, with _out appended)");
  a->runtime.add_to(app);
  app.add_option("-s,--outscale", a->outscale,
                 "final scale (Lanczos after the model; default: the model's)")
      ->check(above_zero_up_to(kMaxOutscale));
  app.add_option(
         "-t,--tile", a->tile,
         "tile size in input pixels (0 = an engine's OPT tile, else auto from --max-memory)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  app.add_option("--tile-pad", a->tile_pad, "context pixels around each tile")
      ->capture_default_str()
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  app.add_option("--max-memory", a->max_memory, "memory budget that sizes auto tiles")
      ->capture_default_str();
  app.add_option("-g,--gpu-id", a->gpu_id, "GPU to use (-1 = CPU; this build has no GPU backend)")
      ->check(at_least(-1));
  app.add_option("--alpha", a->alpha, "how to upscale an alpha channel")
      ->check(CLI::IsMember({"model", "bicubic"}))
      ->capture_default_str();
  app.add_option("--suffix", a->suffix, "suffix for outputs written beside their input")
      ->capture_default_str();
  app.add_option("-f,--format", a->format,
                 "output format: png, jpg, webp, tif (default: the input's)");
  app.add_option("--quality", a->quality, "JPEG/WebP quality")->check(CLI::Range(1, 100));
  app.add_option("--max-input-pixels", a->max_input_pixels, "refuse larger inputs")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_option("--max-output-pixels", a->max_output_pixels, "refuse larger outputs")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_flag("--overwrite", a->overwrite, "redo outputs that exist (default: skip them)");
  app.add_flag("-r,--recursive", a->recursive, "include subfolders of an input folder");
  app.add_flag("-c,--continue-on-error", a->continue_on_error,
               "in a folder run, report a bad image and go on");
  app.add_flag("--json", a->json, "print a JSON summary on stdout");
  app.add_flag("-q,--quiet", a->quiet, "no progress on stderr");
  return a;
}

bool upscale_requested(const UpscaleArgs& args) { return !args.input.empty(); }

namespace {

// What the run did, image by image: the progress lines, the exit code and
// the --json summary.
class RunRecord {
 public:
  RunRecord(const UpscaleArgs& args, const JobList& list, Progress& progress)
      : args_(args), list_(list), progress_(progress) {}

  // Records image i's outcome; false when the run must stop there.
  bool record(size_t i, const ImageOutcome& outcome, double secs) {
    const UpscaleJob& job = list_.jobs[i];
    nlohmann::json entry = {{"input", job.input.string()}, {"output", outcome.output.string()}};
    bool go_on = true;
    if (outcome.skipped) {
      record_skipped(job, outcome, entry);
    } else if (!outcome.status.is_ok()) {
      go_on = record_failed(outcome, entry);
    } else {
      record_done(job, outcome, secs, entry);
    }
    images_.push_back(entry);
    return go_on;
  }

  int exit_code() const {
    return exit_code_ == 0 && failed_ > 0 ? kExitSomeImagesFailed : exit_code_;
  }

  void print_json(const RunnableModel& model, const UpscaleOptions& options, double seconds) const {
    const ModelInfo& info = model.info;
    nlohmann::json summary = {{"model",
                               {{"source", info.source},
                                {"arch", info.arch},
                                {"scale", info.scale},
                                {"format", info.format}}},
                              {"engine", args_.runtime.engine},
                              {"backend", model.backend},
                              {"precision", precision_name(model.precision)},
                              {"threads", resolve_thread_count(args_.runtime.threads)},
                              {"tile", options.tile},
                              {"tile_pad", options.tile_pad},
                              {"images", images_},
                              {"succeeded", static_cast<int>(images_.size()) - failed_ - skipped_},
                              {"skipped", skipped_},
                              {"failed", failed_},
                              {"seconds", seconds},
                              {"exit_code", exit_code()}};
    std::printf("%s\n", summary.dump(2).c_str());
  }

 private:
  void record_skipped(const UpscaleJob& job, const ImageOutcome& outcome, nlohmann::json& entry) {
    ++skipped_;
    entry["status"] = "skipped";
    progress_.line("skipped " + job.input.string() + ": " + outcome.output.string() +
                   " exists (use --overwrite to redo it)");
  }

  bool record_failed(const ImageOutcome& outcome, nlohmann::json& entry) {
    ++failed_;
    entry["status"] = "failed";
    entry["error"] = outcome.status.message();
    entry["exit_code"] = exit_code_for(outcome.status.code());
    std::fprintf(stderr, "%serror: %s\n", isatty(2) && !args_.quiet ? "\r\033[K" : "",
                 outcome.status.message().c_str());
    if (list_.from_folder && args_.continue_on_error) return true;
    exit_code_ = exit_code_for(outcome.status.code());
    return false;
  }

  void record_done(const UpscaleJob& job, const ImageOutcome& outcome, double secs,
                   nlohmann::json& entry) {
    entry["status"] = "ok";
    entry["width"] = outcome.report.width;
    entry["height"] = outcome.report.height;
    entry["tiles"] = outcome.report.tiles;
    entry["seconds"] = secs;
    char line[64];
    std::snprintf(line, sizeof line, " (%dx%d, %.2f s)", outcome.report.width,
                  outcome.report.height, secs);
    progress_.line(job.input.string() + " -> " + outcome.output.string() + line);
  }

  const UpscaleArgs& args_;
  const JobList& list_;
  Progress& progress_;
  nlohmann::json images_ = nlohmann::json::array();
  int failed_ = 0;
  int skipped_ = 0;
  int exit_code_ = 0;
};

// Upscales the list's images in order. The next image decodes while one runs,
// and a small output encodes while the next runs (both bounded in memory).
void upscale_all(const UpscaleArgs& args, const JobList& list, Session& session,
                 UpscaleOptions options, Progress& progress, RunRecord& run) {
  ImagePrefetcher prefetcher(options.limits, kPrefetchBytes);
  std::optional<Encoding> encoding;
  const auto finish_encoding = [&] {
    const bool go_on =
        run.record(encoding->index, encoding->outcome.get(), seconds_since(encoding->start));
    encoding.reset();
    return go_on;
  };
  for (size_t i = 0; i < list.jobs.size(); ++i) {
    const UpscaleJob& job = list.jobs[i];
    options.callbacks.progress = [&progress, i](int done, int total) {
      progress.tiles(i, done, total);
    };
    progress.start_image();
    const auto image_start = Clock::now();
    Result<InputImage> image = prefetcher.take(job.input);
    if (i + 1 < list.jobs.size()) prefetcher.start(list.jobs[i + 1].input);
    // Outputs stay in order: one written now waits for the previous encoding.
    const bool deferrable =
        image.is_ok() && upscaled_bytes(image->info(), options) <= kDeferredWriteBytes;
    if (encoding && !deferrable && !finish_encoding()) return;
    ImageOutcome outcome = upscale_one(job, std::move(image), args, session, options, deferrable);
    if (encoding && !finish_encoding()) return;
    if (outcome.deferred) {
      encoding = Encoding{i, image_start, encode_in_background(std::move(outcome))};
    } else if (!run.record(i, outcome, seconds_since(image_start))) {
      return;
    }
  }
  if (encoding) finish_encoding();
}

Result<JobList> plan_run_jobs(const UpscaleArgs& args) {
  JobListOptions list_options;
  list_options.input = args.input;
  if (!args.output.empty()) list_options.output = args.output;
  list_options.recursive = args.recursive;
  list_options.format = args.format;
  list_options.suffix = args.suffix;
  return plan_jobs(list_options);
}

// --max-memory is for the whole process: what it holds besides the model is
// taken off first.
UpscaleRequest model_request(const UpscaleArgs& args, int64_t budget) {
  UpscaleRequest request;
  request.outscale = args.outscale;
  request.tile = args.tile;
  request.tile_pad = args.tile_pad;
  request.memory_budget = budget;
  request.reserved_bytes = kProcessBytes;
  request.alpha = args.alpha == "bicubic" ? AlphaMode::kBicubic : AlphaMode::kModel;
  request.limits = {args.max_input_pixels, args.max_output_pixels};
  return request;
}

}  // namespace

int run_upscale(const UpscaleArgs& args) {
  const auto start = Clock::now();
  if (args.gpu_id >= 0) {
    return report_error(error(ErrorCode::kUnavailable,
                              "GPU " + std::to_string(args.gpu_id) +
                                  " requested, but this build has no GPU backend; use -g -1 "
                                  "or omit -g to run on the CPU"));
  }
  auto list = plan_run_jobs(args);
  if (!list.is_ok()) return report_error(list.status());
  auto budget = parse_byte_size(args.max_memory);
  if (!budget.is_ok()) return report_error(budget.status().with_context("--max-memory"));

  auto model = args.runtime.prepare();
  if (!model.is_ok()) return report_error(model.status());
  std::unique_ptr<Session> session = model->compiled->new_session();
  const UpscaleOptions options = plan_upscale(*model, model_request(args, *budget));

  Progress progress(args.quiet, list->jobs.size());
  RunRecord run(args, *list, progress);
  upscale_all(args, *list, *session, options, progress, run);
  if (args.json) run.print_json(*model, options, seconds_since(start));
  return run.exit_code();
}

}  // namespace resr
