// Taking a task in: parse the request, validate its input, honour an
// Idempotency-Key, then store the input and queue the task. Shared by
// POST /sr (queued) and POST /upscale (synchronous).
#pragma once

#include <httplib.h>

#include <initializer_list>
#include <optional>

#include "server/http/api_context.hpp"
#include "server/tasks/task.hpp"

namespace resr {

struct IntakeRoute {
  bool sync = false;                               // POST /upscale: the client waits for the image
  std::initializer_list<const char*> file_fields;  // the first is named in messages
};

// Answers every refusal itself; returns the task (a previous one for a
// repeated Idempotency-Key).
std::optional<TaskRecord> accept_task(ApiContext& ctx, const httplib::Request& req,
                                      httplib::Response& res, const IntakeRoute& route);

}  // namespace resr
