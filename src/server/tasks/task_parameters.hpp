// Reading a task's parameters from a request (multipart fields, form fields,
// query or JSON members, all as text) and turning them into a final scale.
#pragma once

#include <map>
#include <string>

#include "resr/status.hpp"
#include "server/tasks/task.hpp"

namespace resr {

using RequestFields = std::map<std::string, std::string>;

// scale 1-8 (float), tile_size 0 (automatic) or 32-4096, skip_alpha/use_realesrgan/fallback
// true|false|1|0, resize_to WIDTHxHEIGHT or N/D, format png|jpg|webp|tif,
// timeout 1..max_timeout_seconds. Errors: kInvalidArgument naming the field.
Result<TaskParameters> parse_task_parameters(const RequestFields& fields, int max_timeout_seconds);

// Output size / input size for an input of width x height: `scale` (or the
// model's), then resize_to: WIDTHxHEIGHT fits the result inside that box
// keeping the aspect ratio, N/D multiplies the scale by N/D.
Result<double> final_scale(const TaskParameters& params, int model_scale, int width, int height);

}  // namespace resr
