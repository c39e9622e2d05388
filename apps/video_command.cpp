#include "video_command.hpp"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

#include "numeric_flags.hpp"
#include "resr/video.hpp"
#include "runtime_options.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

struct VideoArgs {
  std::string input;
  std::string output;
  RuntimeOptions runtime;
  double outscale = 0;
  EncoderSettings encoder;
  double start = 0;
  double duration = 0;
  int tile = 0;
  std::string max_memory = "1G";
  ImageLimits limits;
  int64_t segment_frames = 240;
  bool resume = false;
  bool overwrite = false;
  bool json = false;
  bool quiet = false;
  bool benchmark_inference_only = false;
};

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Everything a finished segment depends on: a resumed run must match it.
std::string fingerprint(const VideoArgs& a, const ModelInfo& model, const EncoderStreamSpec& s) {
  struct stat st {};
  stat(a.input.c_str(), &st);
  nlohmann::json j = {{"input", fs::absolute(a.input).string()},
                      {"input_bytes", static_cast<int64_t>(st.st_size)},
                      {"input_mtime", static_cast<int64_t>(st.st_mtime)},
                      {"model", model.source},
                      {"engine", a.runtime.engine},
                      {"precision", a.runtime.precision},
                      {"width", s.frame.width},
                      {"height", s.frame.height},
                      {"pix_fmt", av_get_pix_fmt_name(s.frame.pix_fmt)},
                      {"codec", a.encoder.codec},
                      {"crf", a.encoder.crf},
                      {"preset", a.encoder.preset},
                      {"start", a.start},
                      {"duration", a.duration},
                      {"segment_frames", a.segment_frames}};
  return j.dump();
}

// The work directory for this run: fresh, or the earlier run's with --resume.
Result<SegmentManifest> prepare_work_directory(const VideoArgs& a, const fs::path& work_dir,
                                               const std::string& print) {
  std::error_code ec;
  const bool exists = fs::exists(work_dir / "manifest.json", ec);
  if (exists && !a.resume) {
    return error(ErrorCode::kInvalidArgument,
                 "an earlier run left its finished segments in " + work_dir.string() +
                     "; add --resume to continue it, or delete that folder to start afresh");
  }
  SegmentManifest manifest;
  manifest.fingerprint = print;
  manifest.segment_frames = a.segment_frames;
  if (exists) {
    RESR_ASSIGN_OR_RETURN(SegmentManifest earlier, read_manifest(work_dir));
    if (earlier.fingerprint != print) {
      return error(ErrorCode::kInvalidArgument,
                   "--resume: the segments in " + work_dir.string() +
                       " were made from another input file or with other options (model, size, "
                       "codec, range); run with the same ones, or delete that folder");
    }
    for (const SegmentRecord& s : earlier.segments)
      if (fs::exists(work_dir / s.file, ec)) manifest.segments.push_back(s);
  }
  fs::create_directories(work_dir, ec);
  if (ec) {
    return error(ErrorCode::kIoError,
                 "cannot create the work folder " + work_dir.string() + ": " + ec.message());
  }
  // A segment that was being written when the run stopped is redone.
  for (const auto& entry : fs::directory_iterator(work_dir, ec))
    if (entry.path().extension() == ".partial") fs::remove(entry.path(), ec);
  RESR_RETURN_IF_ERROR(write_manifest(work_dir, manifest));
  return manifest;
}

// The model's frames and the encoder's stream for `src`. The pixel limits are
// checked from the header, before a frame is decoded: a crafted size must not
// make the decoder or the model allocate without bound.
Result<EncoderStreamSpec> plan_stream(const VideoArgs& a, const VideoSourceInfo& src,
                                      const UpscaleOptions& options) {
  RESR_ASSIGN_OR_RETURN(AVPixelFormat pix_fmt, choose_encoder_pix_fmt(a.encoder, src.pix_fmt));
  EncoderStreamSpec stream;
  stream.frame.pix_fmt = pix_fmt;
  const PixelSize out = output_size(src.width, src.height, options.model_scale, options.outscale);
  stream.frame.width = out.width;
  stream.frame.height = out.height;
  fit_to_chroma_grid(pix_fmt, stream.frame.width, stream.frame.height);
  const int64_t in_pixels = int64_t{src.width} * src.height;
  const int64_t model_pixels = in_pixels * options.model_scale * options.model_scale;
  const int64_t out_pixels = int64_t{stream.frame.width} * stream.frame.height;
  if (in_pixels > a.limits.max_input_pixels) {
    return error(ErrorCode::kResourceExhausted,
                 a.input + ": frames of " + std::to_string(src.width) + "x" +
                     std::to_string(src.height) + " are over --max-input-pixels " +
                     std::to_string(a.limits.max_input_pixels));
  }
  if (std::max(out_pixels, model_pixels) > a.limits.max_output_pixels) {
    return error(
        ErrorCode::kResourceExhausted,
        a.input + ": upscaled frames of " + std::to_string(std::max(out_pixels, model_pixels)) +
            " pixels are over --max-output-pixels " + std::to_string(a.limits.max_output_pixels) +
            "; use a smaller --outscale or raise the limit");
  }
  stream.frame.color_range = src.color_range;
  stream.frame.color_primaries = src.color_primaries;
  stream.frame.color_trc = src.color_trc;
  stream.frame.colorspace = src.colorspace;
  stream.frame.chroma_location = src.chroma_location;
  stream.time_base = src.time_base;
  stream.frame_rate = src.frame_rate;
  stream.sample_aspect_ratio = src.sample_aspect_ratio;
  return stream;
}

// Every frame has the input's size, so one tile serves the whole video.
FrameUpscaleSpec frame_spec(const UpscaleOptions& options, const VideoSourceInfo& src) {
  FrameUpscaleSpec spec;
  spec.scale = options.model_scale;
  spec.input_multiple = options.input_multiple;
  spec.tile = tile_for_image(options, src.width, src.height);
  spec.tile_pad = options.tile_pad;
  return spec;
}

int print_inference_benchmark(VideoReader& reader, Session& session, const FrameUpscaleSpec& spec) {
  auto bench = benchmark_inference(reader, session, spec);
  if (!bench.is_ok()) return report_error(bench.status());
  const nlohmann::json j = {
      {"frames", bench->frames},
      {"inference_seconds", bench->seconds},
      {"inference_fps", bench->seconds > 0 ? bench->frames / bench->seconds : 0.0}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

// Finished segments are worth keeping when the same command can go on later;
// a broken input or a bad option makes them useless.
int report_pipeline_failure(const Status& status, const fs::path& work_dir,
                            const SegmentManifest& manifest) {
  const ErrorCode code = status.code();
  std::error_code ec;
  if (code != ErrorCode::kCancelled && code != ErrorCode::kIoError &&
      code != ErrorCode::kResourceExhausted) {
    fs::remove_all(work_dir, ec);
  }
  if (code != ErrorCode::kCancelled) return report_error(status);
  return report_error(
      error(ErrorCode::kCancelled, "interrupted; " + std::to_string(manifest.segments.size()) +
                                       " finished segments are kept in " + work_dir.string() +
                                       ": run the same command with --resume to continue"));
}

struct VideoOutcome {
  VideoPipelineReport pipeline;
  FinalMuxReport mux;
  double pipeline_seconds = 0;
};

void print_summary(const VideoArgs& a, const RunnableModel& model, const VideoSourceInfo& src,
                   const EncoderStreamSpec& stream, const VideoOutcome& outcome, double seconds) {
  const VideoPipelineReport& report = outcome.pipeline;
  const int64_t computed = report.frames - report.frames_resumed;
  const ModelInfo& info = model.info;
  const nlohmann::json j = {
      {"input", a.input},
      {"output", a.output},
      {"model", {{"source", info.source}, {"arch", info.arch}, {"scale", info.scale}}},
      {"backend", model.backend},
      {"engine", a.runtime.engine},
      {"threads", resolve_thread_count(a.runtime.threads)},
      {"input_size", {src.width, src.height}},
      {"output_size", {stream.frame.width, stream.frame.height}},
      {"codec", a.encoder.codec},
      {"pix_fmt", av_get_pix_fmt_name(stream.frame.pix_fmt)},
      {"frames", report.frames},
      {"frames_resumed", report.frames_resumed},
      {"segments", report.segments},
      {"copied_packets", outcome.mux.copied_packets},
      {"pipeline_seconds", outcome.pipeline_seconds},
      {"fps", outcome.pipeline_seconds > 0 ? computed / outcome.pipeline_seconds : 0.0},
      {"inference_seconds", report.inference_seconds},
      {"seconds", seconds},
      {"exit_code", 0}};
  std::printf("%s\n", j.dump(2).c_str());
}

// Upscales into resumable segments in the work folder, then muxes them with
// the input's other streams into the output.
int upscale_video(const VideoArgs& a, VideoReader& reader, Session& session,
                  const RunnableModel& model, const FrameUpscaleSpec& spec,
                  const EncoderStreamSpec& stream, Clock::time_point start_time) {
  const VideoSourceInfo& src = reader.info();
  const fs::path output = a.output;
  const AVCodec* codec = avcodec_find_encoder_by_name(a.encoder.codec.c_str());
  auto plan = plan_output_streams(*reader.format(), src.stream_index, codec->id, output);
  if (!plan.is_ok()) return report_error(plan.status());
  if (!a.quiet)
    for (const std::string& note : plan->notes) std::fprintf(stderr, "note: %s\n", note.c_str());

  const fs::path work_dir = work_directory_for(output);
  auto manifest = prepare_work_directory(a, work_dir, fingerprint(a, model.info, stream));
  if (!manifest.is_ok()) return report_error(manifest.status());

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  VideoProgress progress(a.quiet, src.expected_frames);
  VideoPipelineConfig config;
  config.encoder = a.encoder;
  config.stream = stream;
  config.upscale = spec;
  config.work_dir = work_dir;
  config.cancel = &g_interrupted;
  config.progress = [&progress](int64_t done, int64_t resumed) { progress.update(done, resumed); };
  const auto pipeline_start = Clock::now();
  auto report = run_video_pipeline(reader, session, *manifest, config);
  progress.finish();
  if (!report.is_ok()) return report_pipeline_failure(report.status(), work_dir, *manifest);
  auto muxed = mux_final_output(a.input, src, *manifest, work_dir, output);
  if (!muxed.is_ok()) return report_error(muxed.status());
  const VideoOutcome outcome{*report, *muxed, seconds_since(pipeline_start)};
  std::error_code ec;
  fs::remove_all(work_dir, ec);

  if (!a.quiet) {
    std::fprintf(stderr, "%s -> %s (%dx%d %s, %lld frames, %.1f s)\n", a.input.c_str(),
                 output.c_str(), stream.frame.width, stream.frame.height,
                 av_get_pix_fmt_name(stream.frame.pix_fmt), static_cast<long long>(report->frames),
                 outcome.pipeline_seconds);
  }
  if (a.json) print_summary(a, model, src, stream, outcome, seconds_since(start_time));
  return 0;
}

int run_video(const VideoArgs& a) {
  const auto start_time = Clock::now();
  // Our own messages carry libav*'s error text; its log would bury the progress.
  av_log_set_level(AV_LOG_QUIET);
  if (a.output.empty() && !a.benchmark_inference_only) {
    return report_error(error(ErrorCode::kInvalidArgument, "video: give the output file with -o"));
  }
  std::error_code ec;
  if (!a.benchmark_inference_only && fs::exists(a.output, ec) && !a.overwrite) {
    return report_error(
        error(ErrorCode::kInvalidArgument, a.output + " exists; add --overwrite to replace it"));
  }
  auto budget = parse_byte_size(a.max_memory);
  if (!budget.is_ok()) return report_error(budget.status().with_context("--max-memory"));

  auto reader = VideoReader::open(a.input, TimeRange{a.start, a.duration});
  if (!reader.is_ok()) return report_error(reader.status());
  auto model = a.runtime.prepare();
  if (!model.is_ok()) return report_error(model.status());
  std::unique_ptr<Session> session = model->compiled->new_session();
  // Frames are whole in memory either way (decoded, float, upscaled): the
  // budget is for the model.
  UpscaleRequest request;
  request.outscale = a.outscale;
  request.tile = a.tile;
  request.memory_budget = *budget;
  request.reserved_bytes = kProcessBytes;
  request.limits = a.limits;
  const UpscaleOptions options = plan_upscale(*model, request);
  const FrameUpscaleSpec spec = frame_spec(options, reader->info());
  if (a.benchmark_inference_only) return print_inference_benchmark(*reader, *session, spec);

  auto stream = plan_stream(a, reader->info(), options);
  if (!stream.is_ok()) return report_error(stream.status());
  return upscale_video(a, *reader, *session, *model, spec, *stream, start_time);
}

}  // namespace

void add_video_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<VideoArgs>();
  a->runtime.model.model = "realesr-animevideov3";
  CLI::App* cmd = app.add_subcommand(
      "video", "upscale a video; audio, subtitles and attachments are copied untouched");
  cmd->add_option("-i,--input", a->input, "input video")->required();
  cmd->add_option("-o,--output", a->output, "output video; its extension picks the container");
  a->runtime.add_to(*cmd);
  cmd->add_option("-s,--outscale", a->outscale,
                  "final scale (Lanczos after the model; default: the model's)")
      ->check(above_zero_up_to(kMaxOutscale));
  cmd->add_option("--codec", a->encoder.codec, "video encoder (libx264, libx265, libvpx-vp9, ...)")
      ->capture_default_str();
  cmd->add_option("--crf", a->encoder.crf, "constant-quality level (default: the codec's)")
      ->check(CLI::Range(0, 63));
  cmd->add_option("--preset", a->encoder.preset, "encoder preset, e.g. veryfast, medium, slow");
  cmd->add_option("--pix-fmt", a->encoder.pix_fmt,
                  "output pixel format (default: the codec's closest to the source; 10-bit "
                  "stays 10-bit)");
  cmd->add_option("--start", a->start, "start at this time, in seconds")->check(at_least(0));
  cmd->add_option("--duration", a->duration, "upscale this many seconds")->check(above_zero());
  cmd->add_option("-t,--tile", a->tile, "tile size in input pixels (0 = auto from --max-memory)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_option("--max-memory", a->max_memory, "memory budget that sizes auto tiles")
      ->capture_default_str();
  cmd->add_option("--max-input-pixels", a->limits.max_input_pixels, "refuse larger frames")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--max-output-pixels", a->limits.max_output_pixels,
                  "refuse larger upscaled frames")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--segment-frames", a->segment_frames,
                  "frames per resumable segment (each starts with a keyframe)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--resume", a->resume,
                "continue a stopped run from its finished segments (same options)");
  cmd->add_flag("--overwrite", a->overwrite, "replace an existing output file");
  cmd->add_flag("--json", a->json, "print a JSON summary on stdout");
  cmd->add_flag("-q,--quiet", a->quiet, "no progress on stderr");
  cmd->add_flag("--benchmark-inference-only", a->benchmark_inference_only,
                "time the model alone on the input's frames; write nothing (for bench/)");
  cmd->callback([a, &exit_code] {
    // -j sizes the encoder's threads as well as the model's.
    a->encoder.threads = a->runtime.threads;
    exit_code = run_video(*a);
  });
}

}  // namespace resr
