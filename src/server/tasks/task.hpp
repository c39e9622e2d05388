// One upscaling task of the job server: what the client asked for and what
// became of it. The store persists these; the worker runs them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace resr {

enum class TaskState { kQueued, kRunning, kSuccess, kFailed, kCanceled };

const char* task_state_name(TaskState state);
std::optional<TaskState> task_state_from_name(std::string_view name);
inline bool is_final(TaskState state) {
  return state == TaskState::kSuccess || state == TaskState::kFailed ||
         state == TaskState::kCanceled;
}

// The request's parameters, validated (see task_parameters.hpp).
struct TaskParameters {
  double scale = 0;         // final size / input size; 0: the model's scale
  int tile_size = -1;       // -1: the server's setting; 0: automatic; else the tile side
  bool skip_alpha = false;  // alpha bicubic instead of through the model
  std::string resize_to;    // "" | "WIDTHxHEIGHT" (fit inside) | "N/D" (of the upscaled size)
  std::string format;       // "" (the input's) | png | jpg | webp | tif
  int timeout_seconds = 0;  // 0: the server's task timeout
  bool use_realesrgan = true;
  bool fallback = false;  // Lanczos when the model fails
  // Output size / input size for this task's input (scale and resize_to
  // applied), computed once when the task is accepted.
  double final_scale = 0;
};

nlohmann::json to_json(const TaskParameters& p);
TaskParameters task_parameters_from_json(const nlohmann::json& j);

struct TaskRecord {
  std::string id;
  TaskState state = TaskState::kQueued;
  TaskParameters params;
  bool sync = false;            // POST /upscale: a client waits on the connection
  std::string idempotency_key;  // empty: none
  std::string request_digest;   // SHA-256 of what was asked: a reused key must ask the same
  std::string input_path;       // the uploaded or fetched bytes
  std::string input_name;       // the client's file name or URL, for messages
  std::string output_path;
  std::string method;  // "realesrgan", "lanczos", "lanczos-fallback"
  std::string error;   // why it failed
  std::string error_code;
  int input_width = 0, input_height = 0;
  int output_width = 0, output_height = 0;
  int64_t output_bytes = 0;
  double created_at = 0, started_at = 0, finished_at = 0, expires_at = 0;  // unix seconds
  bool expired = false;  // the result was deleted after its time to live
  // Cluster mode: the node that ran it, and its progress as that node last reported it.
  std::string node;
  int tiles_done = 0, tiles_total = 0;
};

// `message` with the server's path of the stored input replaced by the name
// the client gave it: clients learn nothing of the server's folders.
std::string message_for_client(const TaskRecord& task, std::string message);

}  // namespace resr
