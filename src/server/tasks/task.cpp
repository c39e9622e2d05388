#include "server/tasks/task.hpp"

namespace resr {

const char* task_state_name(TaskState state) {
  switch (state) {
    case TaskState::kQueued:
      return "queued";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSuccess:
      return "success";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kCanceled:
      return "canceled";
  }
  return "failed";
}

std::optional<TaskState> task_state_from_name(std::string_view name) {
  for (TaskState s : {TaskState::kQueued, TaskState::kRunning, TaskState::kSuccess,
                      TaskState::kFailed, TaskState::kCanceled}) {
    if (name == task_state_name(s)) return s;
  }
  return std::nullopt;
}

nlohmann::json to_json(const TaskParameters& p) {
  return {{"scale", p.scale},
          {"tile_size", p.tile_size},
          {"skip_alpha", p.skip_alpha},
          {"resize_to", p.resize_to},
          {"format", p.format},
          {"timeout", p.timeout_seconds},
          {"use_realesrgan", p.use_realesrgan},
          {"fallback", p.fallback},
          {"final_scale", p.final_scale}};
}

TaskParameters task_parameters_from_json(const nlohmann::json& j) {
  TaskParameters p;
  p.scale = j.value("scale", p.scale);
  p.tile_size = j.value("tile_size", p.tile_size);
  p.skip_alpha = j.value("skip_alpha", p.skip_alpha);
  p.resize_to = j.value("resize_to", p.resize_to);
  p.format = j.value("format", p.format);
  p.timeout_seconds = j.value("timeout", p.timeout_seconds);
  p.use_realesrgan = j.value("use_realesrgan", p.use_realesrgan);
  p.fallback = j.value("fallback", p.fallback);
  p.final_scale = j.value("final_scale", p.final_scale);
  return p;
}

std::string message_for_client(const TaskRecord& task, std::string message) {
  const std::string name = "'" + (task.input_name.empty() ? "the input" : task.input_name) + "'";
  if (task.input_path.empty()) return message;
  for (size_t at = message.find(task.input_path); at != std::string::npos;
       at = message.find(task.input_path, at + name.size())) {
    message.replace(at, task.input_path.size(), name);
  }
  return message;
}

}  // namespace resr
