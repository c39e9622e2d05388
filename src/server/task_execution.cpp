#include "server/task_execution.hpp"

#include "engine/tile_profile.hpp"
#include "pipeline/auto_tile.hpp"
#include "pipeline/image_upscaler.hpp"
#include "pipeline/output_format.hpp"
#include "server/task_parameters.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// Errors the image or the request caused: Lanczos would meet them too. Running
// out of memory is the model's: Lanczos needs a small fraction of it (and an
// output over the pixel cap, the other kResourceExhausted, fails Lanczos too).
bool model_was_at_fault(ErrorCode code) {
  return code != ErrorCode::kCancelled && code != ErrorCode::kInvalidImage &&
         code != ErrorCode::kInvalidArgument && code != ErrorCode::kIoError;
}

// The tile a task runs with: the client's tile_size, else the server's
// tile_size setting; an engine keeps it within its tile profile. 0 is
// automatic: sized per image from the server's memory budget (tile_budget).
int task_tile(const RunnableModel& model, const TaskParameters& params,
              const ExecutionSettings& settings) {
  const int requested = params.tile_size >= 0 ? params.tile_size : settings.tile_size;
  return tile_for(model.tile_profile, requested, 0);
}

// A client's tile_size may not make the model need more memory than the
// server's budget (tile_memory): one request could otherwise take all of the
// machine's memory. The model cannot run such a task within its memory, so it
// fails as out of memory, and `fallback` turns to Lanczos.
Status check_tile_memory(const MemoryBudget& budget, int tile, int pad, const ImageInfo& info) {
  const int64_t bytes = model_bytes(budget, info.width, info.height, tile, pad);
  if (bytes <= budget.bytes) return Status::ok();
  const int fitting =
      auto_tile_size(budget, info.width, info.height, pad, [](int) { return int64_t{0}; });
  return error(ErrorCode::kResourceExhausted,
               "tile_size " + std::to_string(tile) + " needs about " + std::to_string(bytes) +
                   " bytes of model memory, over the server's budget of " +
                   std::to_string(budget.bytes) +
                   " bytes (server setting tile_memory); ask for tile_size " +
                   std::to_string(fitting) + " or less, or 0 (automatic)");
}

}  // namespace

Status execute_task(const ModelRuntime& runtime, Session& session, TaskRecord& task,
                    const ExecutionSettings& settings, const TileCallbacks& callbacks) {
  const TaskParameters& params = task.params;
  RESR_ASSIGN_OR_RETURN(InputImage image, open_image(task.input_path, settings.limits));
  const ImageInfo info = image.info();
  OutputFormat format = params.format.empty()
                            ? default_output_format(info)
                            : output_format_from_name(params.format).value_or(OutputFormat::kPng);
  if (info.has_alpha && !output_format_keeps_alpha(format)) format = OutputFormat::kPng;
  const fs::path output = settings.results_dir / (task.id + output_format_extension(format));
  const Graph& graph = runtime.model().graph;
  RESR_ASSIGN_OR_RETURN(double scale, final_scale(params, graph.scale, info.width, info.height));
  task.input_width = info.width;
  task.input_height = info.height;

  Result<UpscaleReport> report = error(ErrorCode::kInternal, "not run");
  if (params.use_realesrgan) {
    UpscaleOptions options;
    options.model_scale = graph.scale;
    options.input_multiple = runtime.model().input_multiple();
    options.outscale = scale;
    options.tile = task_tile(runtime.model(), params, settings);
    const MemoryBudget budget{settings.tile_memory_bytes, runtime.model().compiled.get(),
                              options.input_multiple};
    if (options.tile <= 0) options.tile_budget = budget;
    options.alpha = params.skip_alpha ? AlphaMode::kBicubic : AlphaMode::kModel;
    options.limits = settings.limits;
    options.callbacks = callbacks;
    const Status fits = params.tile_size > 0
                            ? check_tile_memory(budget, options.tile, options.tile_pad, info)
                            : Status::ok();
    report = fits.is_ok() ? upscale_image(session, std::move(image), output, {format}, options)
                          : Result<UpscaleReport>(fits);
    task.method = "realesrgan";
    if (!report.is_ok() && params.fallback && model_was_at_fault(report.status().code())) {
      task.error = "the model failed (" + report.status().message() + "); Lanczos was used";
      RESR_ASSIGN_OR_RETURN(InputImage again, open_image(task.input_path, settings.limits));
      report = resize_image(std::move(again), output, {format}, scale, settings.limits);
      task.method = "lanczos-fallback";
    }
  } else {
    report = resize_image(std::move(image), output, {format}, scale, settings.limits);
    task.method = "lanczos";
  }
  if (!report.is_ok()) return report.status();
  task.output_path = output.string();
  task.output_width = report->width;
  task.output_height = report->height;
  std::error_code ec;
  task.output_bytes = static_cast<int64_t>(fs::file_size(output, ec));
  return Status::ok();
}

}  // namespace resr
