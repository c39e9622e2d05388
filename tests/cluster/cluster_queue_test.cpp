// Cluster mode on a real redis-server and real server processes: a task
// submitted to one node runs on another, every node shows its status and
// progress and serves its result, a cancel reaches the node that runs it, and
// what Redis cannot hold goes to the shared folder or is refused clearly.
#include <gtest/gtest.h>

#include "server/server_child.hpp"
#include "support/redis_server.hpp"

namespace resr::testing {
namespace {

std::vector<std::string> cluster_flags(const RedisServer& redis, const std::string& node) {
  return {"--queue", redis.url(), "--node-id", node};
}

// A grey PNG of noise: barely compressible, so its size is about side².
std::string noise_png(int side) {
  EXPECT_TRUE(ensure_vips().is_ok());
  VipsImage* noise = nullptr;
  EXPECT_EQ(vips_gaussnoise(&noise, side, side, "mean", 128.0, "sigma", 60.0, nullptr), 0);
  VipsImagePtr image(noise);
  return png_of(image.get());
}

TEST(ClusterQueue, TasksRunOnAnyNodeAndEveryNodeServesThem) {
  ScratchDir dir;
  RedisServer redis(dir / "redis");
  ServerChild a(dir / "a", {}, cluster_flags(redis, "node-a"));
  auto to_a = a.client();
  // A slow task keeps node A's worker busy: what A accepts next runs on B or C.
  const std::string slow = submit(to_a, flat_png(1536), {{"tile_size", "32"}});
  ASSERT_TRUE(reaches_worker(to_a, slow)) << a.log();
  EXPECT_EQ(redis.task_field(slow, "node"), "node-a");
  ServerChild b(dir / "b", {}, cluster_flags(redis, "node-b"));
  ServerChild c(dir / "c", {}, cluster_flags(redis, "node-c"));
  auto to_b = b.client();
  auto to_c = c.client();
  // A's progress, seen from B.
  EXPECT_TRUE(eventually([&] {
    const auto status = task_status(to_b, slow);
    return status.value("status", "") == "running" && status.value("node", "") == "node-a" &&
           status.contains("progress") && status["progress"]["tiles_total"] == 2304;
  })) << task_status(to_b, slow);

  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(submit(to_a, small_png()));
  for (const std::string& id : ids) {
    ASSERT_TRUE(reaches_state(to_c, id, "success")) << task_status(to_c, id) << b.log();
    const std::string node = redis.task_field(id, "node");
    EXPECT_TRUE(node == "node-b" || node == "node-c") << node;
    EXPECT_EQ(task_status(to_a, id).value("node", ""), node);
    std::string first;
    for (httplib::Client* client : {&to_a, &to_b, &to_c}) {
      auto image = client->Get("/result/" + id + "/download");
      ASSERT_TRUE(image);
      EXPECT_EQ(image->status, 200);
      EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
      if (first.empty()) first = image->body;
      EXPECT_EQ(image->body, first);  // the same bytes from every node
    }
    EXPECT_EQ(task_status(to_b, id)["output"]["width"], 48);
  }
  // C cancels what A runs.
  auto canceled = to_c.Delete("/result/" + slow);
  ASSERT_TRUE(canceled);
  EXPECT_EQ(canceled->status, 202) << canceled->body;
  EXPECT_TRUE(reaches_state(to_b, slow, "canceled")) << task_status(to_b, slow);
  EXPECT_EQ(task_status(to_c, slow).value("error", ""), "canceled by the client");
  // No node keeps a copy of what Redis holds once it is sent.
  for (const char* node : {"a", "b", "c"}) {
    EXPECT_TRUE(eventually([&] { return std::filesystem::is_empty(dir / node / "results"); }))
        << node;
  }
}

TEST(ClusterQueue, ValuesOverTheRedisLimitNeedTheSharedFolder) {
  ScratchDir dir;
  RedisServer redis(dir / "redis");
  const std::string input = noise_png(64);
  const std::string limit =
      "REAL_ESRGAN_SERVE_CLUSTER_RESULT_MAX_BYTES=" + std::to_string(input.size() + 1);
  {
    ServerChild alone(dir / "alone", {limit}, cluster_flags(redis, "alone"));
    auto client = alone.client();
    // An input over the limit: refused at once, nothing queued.
    auto refused = client.Post("/sr", upload("file", noise_png(80)));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 413) << refused->body;
    EXPECT_NE(refused->body.find("cluster_result_max_bytes"), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find("shared_dir"), std::string::npos) << refused->body;
    // A result over it: the task fails and says why.
    const std::string id = submit(client, input);
    ASSERT_TRUE(reaches_state(client, id, "failed")) << task_status(client, id);
    const auto status = task_status(client, id);
    EXPECT_NE(status.value("error", "").find("cluster_result_max_bytes"), std::string::npos)
        << status;
    EXPECT_EQ(status.value("error_code", ""), "resource exhausted") << status;
  }
  const auto shared = dir / "shared";
  const std::string shared_dir = "REAL_ESRGAN_SERVE_SHARED_DIR=" + shared.string();
  ServerChild b(dir / "b", {limit, shared_dir}, cluster_flags(redis, "node-b"));
  ServerChild c(dir / "c", {limit, shared_dir}, cluster_flags(redis, "node-c"));
  auto to_b = b.client();
  auto to_c = c.client();
  const std::string big_input = submit(to_b, noise_png(80));
  const std::string big_result = submit(to_b, input);
  for (const std::string& id : {big_input, big_result}) {
    ASSERT_TRUE(reaches_state(to_c, id, "success")) << task_status(to_c, id);
    for (httplib::Client* client : {&to_b, &to_c}) {
      auto image = client->Get("/result/" + id + "/download");
      ASSERT_TRUE(image);
      EXPECT_EQ(image->status, 200);
      EXPECT_GT(image->body.size(), input.size());
    }
  }
  EXPECT_FALSE(std::filesystem::is_empty(shared / "results"));
}

TEST(ClusterQueue, StartRefusesARedisThatEvictsOrIsNotThere) {
  ScratchDir dir;
  RedisServer evicting(dir / "redis", "allkeys-lru");
  auto start = [&](const std::string& url) {
    return run_program(RESR_BINARY, {"server", "start", "-p", "0", "-m", tiny_model_path(),
                                     "--data-dir", (dir / "data").string(), "--queue", url});
  };
  CommandResult refused = start(evicting.url());
  EXPECT_EQ(refused.exit_code, 7) << refused.err;
  EXPECT_NE(refused.err.find("maxmemory-policy"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("noeviction"), std::string::npos) << refused.err;
  CommandResult absent = start("redis://127.0.0.1:" + std::to_string(free_loopback_port()) + "/0");
  EXPECT_EQ(absent.exit_code, 10) << absent.err;
  EXPECT_NE(absent.err.find("unreachable"), std::string::npos) << absent.err;
  CommandResult malformed = start("http://127.0.0.1:6379");
  EXPECT_EQ(malformed.exit_code, 2) << malformed.err;
  EXPECT_NE(malformed.err.find("redis://HOST:PORT"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace resr::testing
