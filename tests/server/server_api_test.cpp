// The job server's HTTP API over real loopback HTTP: task life cycle, the
// synchronous endpoint, health, errors as problem+json, auth, idempotency,
// cancel, timeouts and expiry.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "engine/runnable_model.hpp"
#include "model/model.hpp"
#include "server/http/api_routes.hpp"
#include "server/http/openapi_document.hpp"
#include "server/tasks/sqlite_task_store.hpp"
#include "server_test_support.hpp"
#include "tiling/auto_tile.hpp"

namespace resr::testing {
namespace {

using nlohmann::json;

// The PNG's width and height, from its IHDR chunk.
std::pair<int, int> png_size(const std::string& png) {
  auto be32 = [&](size_t at) {
    return (static_cast<uint8_t>(png[at]) << 24) | (static_cast<uint8_t>(png[at + 1]) << 16) |
           (static_cast<uint8_t>(png[at + 2]) << 8) | static_cast<uint8_t>(png[at + 3]);
  };
  if (png.size() < 24 || png.compare(1, 3, "PNG") != 0) return {0, 0};
  return {be32(16), be32(20)};
}

void expect_problem(const httplib::Result& res, int status, const std::string& detail_part = "") {
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
  const json body = json::parse(res->body, nullptr, false);
  EXPECT_EQ(body.value("status", 0), status);
  EXPECT_FALSE(body.value("title", "").empty());
  EXPECT_NE(body.value("detail", "").find(detail_part), std::string::npos) << body.dump();
}

TEST(ServerApi, TaskLifeCycleFromUploadToDownload) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  auto res = client.Post("/sr", upload("file", small_png()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::string id = json::parse(res->body).at("task_id");
  EXPECT_EQ(res->get_header_value("Location"), "/result/" + id);
  ASSERT_TRUE(reaches_state(client, id, "success")) << task_status(client, id).dump();

  const json task = task_status(client, id);
  EXPECT_EQ(task["method"], "realesrgan");
  EXPECT_EQ(task["input"]["width"], 12);
  EXPECT_EQ(task["input"]["height"], 8);
  EXPECT_EQ(task["output"]["width"], 48);
  EXPECT_EQ(task["output"]["height"], 32);
  EXPECT_EQ(task["output"]["format"], "png");
  EXPECT_GE(task["timings"]["run_seconds"].get<double>(), 0.0);
  EXPECT_GT(task["timings"]["finished_at"].get<double>(), 0.0);

  auto download = client.Get("/result/" + id + "/download");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 200);
  EXPECT_EQ(download->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(png_size(download->body), std::make_pair(48, 32));
  EXPECT_EQ(static_cast<int64_t>(download->body.size()), task["output"]["bytes"].get<int64_t>());
}

TEST(ServerApi, ParametersChooseScaleFormatAndLanczos) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string lanczos =
      submit(client, small_png(), {{"use_realesrgan", "false"}, {"scale", "2"}});
  const std::string resized =
      submit(client, small_png(), {{"resize_to", "24x24"}, {"format", "jpg"}});
  const std::string fraction =
      submit(client, small_png(), {{"resize_to", "1/2"}, {"skip_alpha", "true"}});
  ASSERT_TRUE(reaches_state(client, lanczos, "success"));
  ASSERT_TRUE(reaches_state(client, resized, "success"));
  ASSERT_TRUE(reaches_state(client, fraction, "success"));
  json t = task_status(client, lanczos);
  EXPECT_EQ(t["method"], "lanczos");
  EXPECT_EQ(t["output"]["width"], 24);
  EXPECT_EQ(t["output"]["height"], 16);
  t = task_status(client, resized);  // 12 x 8 fits 24 x 24 at x2
  EXPECT_EQ(t["method"], "realesrgan");
  EXPECT_EQ(t["output"]["width"], 24);
  EXPECT_EQ(t["output"]["height"], 16);
  EXPECT_EQ(t["output"]["format"], "jpg");
  t = task_status(client, fraction);  // half of x4
  EXPECT_EQ(t["output"]["width"], 24);
  EXPECT_EQ(t["output"]["height"], 16);
}

TEST(ServerApi, SynchronousUpscaleReturnsTheImage) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  auto res = client.Post("/upscale?ext=.jpg", upload("image", small_png()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(res->get_header_value("X-Upscale-Method"), "realesrgan");
  EXPECT_EQ(res->body.substr(0, 3), "\xFF\xD8\xFF");
  res = client.Post("/upscale", upload("image", small_png()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(png_size(res->body), std::make_pair(48, 32));
  // Nothing of a synchronous request stays on disk.
  EXPECT_TRUE(eventually([&] { return std::filesystem::is_empty(dir.path() / "results"); }));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "inputs"));
}

// The sync lane: POST /upscale does not wait for a long queued task to end.
TEST(ServerApi, SynchronousUpscaleDoesNotWaitBehindARunningTask) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string slow = submit(client, flat_png(1536), {{"tile_size", "32"}});
  ASSERT_TRUE(reaches_state(client, slow, "running"));
  auto res = client.Post("/upscale", upload("image", small_png()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(png_size(res->body), std::make_pair(48, 32));
  // Answered while the long task still runs, not after it.
  const json still = task_status(client, slow);
  EXPECT_EQ(still["status"], "running");
  EXPECT_LT(still["progress"]["tiles_done"].get<int>(), 2304);
  // Queued tasks still wait for the main lane.
  const std::string queued = submit(client, small_png());
  EXPECT_EQ(task_status(client, queued)["status"], "queued");
  client.Delete("/result/" + slow);
  EXPECT_TRUE(reaches_state(client, slow, "canceled"));
  EXPECT_TRUE(reaches_state(client, queued, "success"));
}

// Synchronous requests waiting for the worker give their turn to be served
// up: with more of them waiting than the server serves at once (one per
// core), other requests are still answered.
TEST(ServerApi, SynchronousRequestsWaitingForTheWorkerDoNotHoldUpOthers) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  const int waiting = static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 1;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < waiting; ++i) {
    clients.emplace_back([&] {
      auto client = server.client();
      // Each runs 1 s at the most: long enough to be waiting below.
      client.Post("/upscale",
                  upload("image", flat_png(1536), {{"tile_size", "32"}, {"timeout", "1"}}));
      ++answered;
    });
  }
  auto store = SqliteTaskStore::open(dir.path() / "tasks.sqlite3");
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  const auto accepted = [&] {
    auto counts = (*store)->count_by_state();
    int n = 0;
    if (counts.is_ok()) {
      for (const auto& [state, count] : *counts)
        n += state == "queued" || state == "running" ? count : 0;
    }
    return n == waiting;
  };
  ASSERT_TRUE(eventually(accepted));
  auto client = server.client();
  auto health = client.Get("/health");
  // Answered while every synchronous request still waits.
  EXPECT_EQ(answered, 0);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  for (std::thread& t : clients) t.join();
}

// `-e/--engine`: the server runs a built engine exactly like its source model.
TEST(ServerApi, EngineServesTheSameImageAsItsModel) {
  ScratchDir dir;
  auto model = load_model(tiny_model_path());
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto runnable = compile_model(**model, "cpu", {});
  ASSERT_TRUE(runnable.is_ok());
  const std::filesystem::path engine = dir.path() / "tiny.engine";
  ASSERT_TRUE(write_engine(*runnable, std::nullopt, engine).is_ok());

  std::string from_model;
  {
    TestServer server(test_config(dir.path() / "m"));
    ASSERT_TRUE(server.ok());
    auto res = server.client().Post("/upscale", upload("image", small_png()));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    from_model = res->body;
  }
  ServerConfig config = test_config(dir.path() / "e");
  config.engine = engine;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const json health = json::parse(client.Get("/health")->body);
  EXPECT_EQ(health["model"]["name"], engine.string());
  auto res = client.Post("/upscale", upload("image", small_png()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->body, from_model);
}

TEST(ServerApi, HealthLivenessReadinessAndInfo) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  ASSERT_EQ(health->status, 200);
  const json h = json::parse(health->body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["model"]["loaded"], true);
  EXPECT_EQ(h["model"]["scale"], 4);
  EXPECT_EQ(h["model"]["arch"], "SRVGGNetCompact");
  EXPECT_EQ(h["backend"], "cpu");
  EXPECT_EQ(h["queue_depth"], 0);
  EXPECT_EQ(h["version"], RESR_VERSION);
  EXPECT_EQ(client.Get("/livez")->status, 200);
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  EXPECT_EQ(json::parse(client.Get("/")->body)["name"], "real-esrgan-serve");

  server.server().drain();
  expect_problem(client.Get("/readyz"), 503);
  EXPECT_EQ(client.Get("/livez")->status, 200);
  auto refused = client.Post("/sr", upload("file", small_png()));
  expect_problem(refused, 503, "shutting down");
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  EXPECT_EQ(json::parse(client.Get("/health")->body)["status"], "draining");
}

TEST(ServerApi, ErrorsAreProblemDetails) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  expect_problem(client.Get("/no/such/route"), 404, "no route GET /no/such/route");
  expect_problem(client.Get("/result/0123abcd"), 404, "no task 0123abcd");
  expect_problem(client.Get("/result/0123abcd/download"), 404);
  expect_problem(client.Delete("/result/0123abcd"), 404);
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"scale", "9"}})), 400,
                 "parameter 'scale' is '9': expected a number from 1 to 8");
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"tile_size", "7"}})), 400,
                 "tile_size");
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"resize_to", "big"}})), 400,
                 "resize_to");
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"format", "bmp"}})), 400,
                 "format");
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"timeout", "100000"}})), 400,
                 "timeout");
  expect_problem(client.Post("/sr", upload("file", small_png(), {{"model", "other"}})), 422,
                 "this server runs model");
  expect_problem(client.Post("/sr", upload("notfile", small_png())), 400,
                 "multipart/form-data field 'file'");
  expect_problem(client.Post("/upscale?ext=.bmp", upload("image", small_png())), 400, "ext");
  expect_problem(client.Post("/sr", "{}", "application/json"), 400, "no image");
  expect_problem(client.Post("/sr", "[1", "application/json"), 400, "JSON");
}

// REFERENCE.md §5: bad images get 422 at submission, from the header alone,
// and nothing of them stays.
TEST(ServerApi, BadImagesAreRefusedAtSubmission) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.image_limits.max_output_pixels = 1000;  // 12 x 8 at x4 = 1536
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  expect_problem(client.Post("/sr", upload("file", "")), 422, "image.png");
  expect_problem(client.Post("/sr", upload("file", "GIF89a not really")), 422);
  expect_problem(
      client.Post("/sr", upload("file", read_file_bytes(fixture("rgb8.png")).substr(0, 20))), 422);
  // A 50000 x 50000 PNG header over the input pixel limit: refused unread.
  expect_problem(client.Post("/sr", upload("file", png_header_bomb(50000, 50000))), 422,
                 "50000 x 50000 = 2500000000 pixels");
  expect_problem(client.Post("/sr", upload("file", small_png())), 422,
                 "over the output limit of 1000");
  // At x2 the output fits.
  const std::string id = submit(client, small_png(), {{"scale", "2"}});
  EXPECT_TRUE(reaches_state(client, id, "success"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "inputs"), {}), 0);
}

TEST(ServerApi, TruncatedImageFailsWithItsReason) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string png = flat_png(64);
  const std::string id = submit(client, png.substr(0, png.size() - 40));
  ASSERT_TRUE(reaches_state(client, id, "failed"));
  const json task = task_status(client, id);
  EXPECT_EQ(task["error_code"], "invalid image");
  EXPECT_NE(task["error"].get<std::string>().find("'image.png'"), std::string::npos) << task;
  EXPECT_EQ(task["error"].get<std::string>().find(dir.path().string()), std::string::npos) << task;
  expect_problem(client.Get("/result/" + id + "/download"), 409, "failed");
}

// A real failure of the model path: the client's tile_size needs more model
// activations than the server's memory budget (tile_memory) allows, so the
// model cannot run; `fallback` then upscales with Lanczos instead.
TEST(ServerApi, FallbackUsesLanczosWhenTheModelCannotRunWithinTheMemoryBudget) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  // A budget between what tiles of 64 and of 128 (the whole image) cost the
  // server's model, as its backend reports them.
  auto model = load_model(config.model);
  ASSERT_TRUE(model.is_ok());
  auto runnable = compile_model(**model, "cpu", {1, Precision::kFp32});
  ASSERT_TRUE(runnable.is_ok());
  MemoryBudget budget{0, runnable->compiled.get(), 1};
  const int64_t small = model_bytes(budget, 128, 128, 64, kDefaultTilePad);
  const int64_t whole = model_bytes(budget, 128, 128, 128, kDefaultTilePad);
  ASSERT_LT(small, whole);
  budget.bytes = config.tile_memory_bytes = (small + whole) / 2;
  const int advised = auto_tile_size(budget, 128, 128, kDefaultTilePad, [](int) { return 0; });
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string png = flat_png(128);
  const std::string fallback = submit(client, png, {{"tile_size", "128"}, {"fallback", "true"}});
  const std::string strict = submit(client, png, {{"tile_size", "128"}});
  const std::string fitting = submit(client, png, {{"tile_size", "64"}});
  const std::string automatic = submit(client, png, {{"tile_size", "0"}});
  const std::string lanczos = submit(client, png, {{"use_realesrgan", "false"}});
  for (const std::string& id : {fallback, fitting, automatic, lanczos}) {
    ASSERT_TRUE(reaches_state(client, id, "success")) << task_status(client, id);
  }
  ASSERT_TRUE(reaches_state(client, strict, "failed")) << task_status(client, strict);

  const std::string why = "tile_size 128 needs about " + std::to_string(whole) +
                          " bytes of model memory, over the server's budget of " +
                          std::to_string(budget.bytes) +
                          " bytes (server setting tile_memory); ask for tile_size " +
                          std::to_string(advised) + " or less, or 0 (automatic)";
  const json used = task_status(client, fallback);
  EXPECT_EQ(used["method"], "lanczos-fallback");
  EXPECT_EQ(used["output"]["width"], 512);
  EXPECT_EQ(used["output"]["height"], 512);
  EXPECT_EQ(used["error"], "the model failed (" + why + "); Lanczos was used");
  auto result = client.Get("/result/" + fallback + "/download");
  auto plain = client.Get("/result/" + lanczos + "/download");
  ASSERT_TRUE(result && plain);
  EXPECT_EQ(png_size(result->body), std::make_pair(512, 512));
  EXPECT_EQ(result->body, plain->body);

  const json failed = task_status(client, strict);
  EXPECT_EQ(failed["method"], "realesrgan");
  EXPECT_EQ(failed["error_code"], "resource exhausted");
  EXPECT_EQ(failed["error"], why);
  EXPECT_EQ(task_status(client, fitting)["method"], "realesrgan");
  EXPECT_EQ(task_status(client, automatic)["method"], "realesrgan");
}

TEST(ServerApi, TokenIsRequiredWhenConfigured) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.token = "s3cret-token";
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto anonymous = server.client();
  expect_problem(anonymous.Get("/health"), 401, "X-Token");
  expect_problem(anonymous.Post("/sr", upload("file", small_png())), 401);
  EXPECT_EQ(anonymous.Get("/livez")->status, 200);
  EXPECT_EQ(anonymous.Get("/readyz")->status, 200);
  auto wrong = server.client("s3cret-tokem");
  expect_problem(wrong.Get("/health"), 401);
  auto with_token = server.client("s3cret-token");
  EXPECT_EQ(with_token.Get("/health")->status, 200);
  auto bearer = server.client();
  bearer.set_bearer_token_auth("s3cret-token");
  EXPECT_EQ(bearer.Get("/health")->status, 200);
  const std::string id = submit(with_token, small_png());
  EXPECT_TRUE(reaches_state(with_token, id, "success"));
}

TEST(ServerApi, IdempotencyKeyReturnsTheSameTask) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string first = submit(client, small_png(), {}, {{"Idempotency-Key", "order-17"}});
  const std::string again = submit(client, small_png(), {}, {{"Idempotency-Key", "order-17"}});
  const std::string other = submit(client, small_png(), {}, {{"Idempotency-Key", "order-18"}});
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_TRUE(reaches_state(client, first, "success"));
  EXPECT_EQ(submit(client, small_png(), {}, {{"Idempotency-Key", "order-17"}}), first);
}

TEST(ServerApi, CancelStopsARunningTaskAndDropsAQueuedOne) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string slow = submit(client, flat_png(1536), {{"tile_size", "32"}});
  ASSERT_TRUE(eventually([&] {
    const json t = task_status(client, slow);
    return t["status"] == "running" && t.contains("progress") &&
           t["progress"]["tiles_done"].get<int>() > 0;
  })) << task_status(client, slow);
  EXPECT_EQ(task_status(client, slow)["progress"]["tiles_total"], 2304);
  const std::string queued = submit(client, small_png());
  EXPECT_EQ(task_status(client, queued)["status"], "queued");
  auto download = client.Get("/result/" + slow + "/download");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 202);
  EXPECT_EQ(download->get_header_value("Retry-After"), "1");

  auto res = client.Delete("/result/" + queued);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(task_status(client, queued)["status"], "canceled");
  const auto asked = std::chrono::steady_clock::now();
  res = client.Delete("/result/" + slow);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  ASSERT_TRUE(reaches_state(client, slow, "canceled"));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  expect_problem(client.Delete("/result/" + slow), 409, "already ended");
  expect_problem(client.Get("/result/" + slow + "/download"), 409, "canceled");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "results"));
}

TEST(ServerApi, FullQueueAnswers429WithRetryAfter) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.max_queue = 2;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string slow = submit(client, flat_png(1536), {{"tile_size", "32"}});
  ASSERT_TRUE(reaches_state(client, slow, "running"));
  const std::string a = submit(client, small_png());
  const std::string b = submit(client, small_png());
  auto res = client.Post("/sr", upload("file", small_png()));
  expect_problem(res, 429, "queue is full");
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(client.Get("/health")->body)["queue_depth"], 2);
  client.Delete("/result/" + slow);
  EXPECT_TRUE(reaches_state(client, a, "success"));
  EXPECT_TRUE(reaches_state(client, b, "success"));
  submit(client, small_png());
}

TEST(ServerApi, TaskTimeoutFailsTheTask) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string id = submit(client, flat_png(1536), {{"tile_size", "32"}, {"timeout", "1"}});
  ASSERT_TRUE(reaches_state(client, id, "failed"));
  const json task = task_status(client, id);
  EXPECT_EQ(task["error_code"], "timeout");
  EXPECT_NE(task["error"].get<std::string>().find("timeout of 1 s"), std::string::npos);
}

TEST(ServerApi, ResultsExpireAfterTheirTimeToLive) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.result_ttl_seconds = 1;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string id = submit(client, small_png());
  ASSERT_TRUE(reaches_state(client, id, "success"));
  EXPECT_EQ(client.Get("/result/" + id + "/download")->status, 200);
  ASSERT_TRUE(eventually([&] { return client.Get("/result/" + id)->status == 410; }));
  expect_problem(client.Get("/result/" + id + "/download"), 410, "expired");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "results"));
}

TEST(ServerApi, MetricsCountRequestsTasksAndPixels) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string id = submit(client, small_png());
  ASSERT_TRUE(reaches_state(client, id, "success"));
  client.Post("/sr", upload("file", small_png(), {{"scale", "99"}}));
  client.Get("/nowhere");
  // A request is counted just after its response is written, so the scrape
  // may come first (it can run on another connection): scrape until the last
  // request shows.
  std::string text;
  ASSERT_TRUE(eventually(
      [&] {
        auto res = client.Get("/metrics");
        if (!res || res->status != 200) return false;
        EXPECT_EQ(res->get_header_value("Content-Type"), kPrometheusContentType);
        text = res->body;
        return text.find(R"(route="unmatched",status="404"} 1)") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << text;
  for (const std::string line :
       {R"(resr_http_requests_total{method="POST",route="/sr",status="202"} 1)",
        R"(resr_http_requests_total{method="POST",route="/sr",status="400"} 1)",
        R"(resr_http_requests_total{method="GET",route="unmatched",status="404"} 1)",
        R"(resr_tasks_submitted_total 1)",
        R"(resr_http_request_duration_seconds_count{route="/sr"} 2)",
        R"(resr_tasks_finished_total{method="realesrgan",status="success"} 1)",
        R"(resr_task_duration_seconds_count{method="realesrgan"} 1)",
        R"(resr_input_pixels_total 96)", R"(resr_output_pixels_total 1536)",
        R"(resr_queue_depth 0)", R"(resr_tasks_running 0)", R"(resr_ready 1)"}) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << "\n" << text;
  }
}

TEST(ServerApi, OpenApiDocumentListsExactlyTheRegisteredRoutes) {
  std::set<std::pair<std::string, std::string>> routes, documented;
  for (const Route& r : api_routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    routes.insert({r.openapi_path, method});
  }
  for (const auto& [path, methods] : openapi_document()["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) documented.insert({path, method});
  }
  EXPECT_EQ(routes, documented);

  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  auto res = client.Get("/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body), openapi_document());
  // Every documented GET without a path parameter answers.
  for (const auto& [path, method] : documented) {
    if (method == "get" && path.find('{') == std::string::npos) {
      EXPECT_EQ(client.Get(path)->status, 200) << path;
    }
  }
}

}  // namespace
}  // namespace resr::testing
