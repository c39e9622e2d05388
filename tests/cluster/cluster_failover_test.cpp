// Cluster mode when a node dies: on a real redis-server, a node killed with
// SIGKILL mid-task leaves its task pending in the stream; another node takes
// it over once it has been silent for cluster_claim_idle_seconds and runs it
// to the end, once, while a live node's task is never taken from it. A task
// delivered more than cluster_max_deliveries times goes to the dead-letter
// stream and is reported failed with its reason.
#include <gtest/gtest.h>

#include <csignal>

#include "server/server_child.hpp"
#include "support/redis_server.hpp"

namespace resr::testing {
namespace {

std::vector<std::string> cluster_flags(const RedisServer& redis, const std::string& node) {
  return {"--queue", redis.url(), "--node-id", node};
}

long long stream_length(RedisServer& redis, const std::string& stream) {
  RedisReply reply = redis.command({"XLEN", stream});
  return reply ? reply->integer : -1;
}

long long pending_entries(RedisServer& redis) {
  RedisReply reply = redis.command({"XPENDING", "resr:queue", "workers"});
  return reply && reply->elements > 0 ? reply->element[0]->integer : -1;
}

// Starts a slow task on node A and kills A (SIGKILL) once the task has made
// progress there; returns the task's id.
std::string task_of_a_killed_node(RedisServer& redis, ServerChild& a) {
  auto to_a = a.client();
  const std::string slow = submit(to_a, flat_png(640), {{"tile_size", "32"}});
  EXPECT_TRUE(reaches_worker(to_a, slow)) << a.log();
  EXPECT_TRUE(
      eventually([&] { return std::atoi(redis.task_field(slow, "tiles_done").c_str()) > 0; }));
  a.signal(SIGKILL);
  EXPECT_EQ(a.wait(), 128 + SIGKILL);
  EXPECT_EQ(redis.task_field(slow, "state"), "running");  // as the dead node left it
  return slow;
}

TEST(ClusterFailover, TaskOfAKilledNodeCompletesOnAnotherNodeOnce) {
  ScratchDir dir;
  RedisServer redis(dir / "redis");
  const std::vector<std::string> env = {"REAL_ESRGAN_SERVE_CLUSTER_CLAIM_IDLE_SECONDS=1"};
  ServerChild a(dir / "a", env, cluster_flags(redis, "node-a"));
  const std::string slow = task_of_a_killed_node(redis, a);

  ServerChild b(dir / "b", env, cluster_flags(redis, "node-b"));
  auto to_b = b.client();
  ASSERT_TRUE(eventually([&] { return redis.task_field(slow, "node") == "node-b"; })) << b.log();
  // C joins while B runs it: B's progress is its heartbeat, so C takes nothing.
  ServerChild c(dir / "c", env, cluster_flags(redis, "node-c"));
  auto to_c = c.client();
  ASSERT_TRUE(reaches_state(to_c, slow, "success", std::chrono::seconds(120)))
      << task_status(to_c, slow) << b.log();
  EXPECT_EQ(redis.task_field(slow, "node"), "node-b");
  EXPECT_EQ(redis.task_field(slow, "deliveries"), "2");  // A's, then B's: no third
  const auto status = task_status(to_c, slow);
  EXPECT_EQ(status["output"]["width"], 640 * 4);
  auto image = to_c.Get("/result/" + slow + "/download");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  EXPECT_EQ(pending_entries(redis), 0);
  EXPECT_EQ(stream_length(redis, "resr:queue"), 0);
  EXPECT_EQ(stream_length(redis, "resr:dead-letter"), 0);
  // The cluster goes on serving new work.
  const std::string next = submit(to_b, small_png());
  EXPECT_TRUE(reaches_state(to_c, next, "success")) << task_status(to_c, next);
}

TEST(ClusterFailover, TaskDeliveredTooOftenGoesToTheDeadLetterStream) {
  ScratchDir dir;
  RedisServer redis(dir / "redis");
  const std::vector<std::string> env = {"REAL_ESRGAN_SERVE_CLUSTER_CLAIM_IDLE_SECONDS=1",
                                        "REAL_ESRGAN_SERVE_CLUSTER_MAX_DELIVERIES=1"};
  ServerChild a(dir / "a", env, cluster_flags(redis, "node-a"));
  const std::string poison = task_of_a_killed_node(redis, a);

  ServerChild b(dir / "b", env, cluster_flags(redis, "node-b"));
  auto to_b = b.client();
  ASSERT_TRUE(reaches_state(to_b, poison, "failed")) << task_status(to_b, poison) << b.log();
  const auto status = task_status(to_b, poison);
  EXPECT_NE(status.value("error", "").find("delivered 1 times"), std::string::npos) << status;
  EXPECT_NE(status.value("error", "").find("cluster_max_deliveries"), std::string::npos) << status;
  EXPECT_EQ(redis.task_field(poison, "error_code"), "delivery_limit");
  ASSERT_EQ(stream_length(redis, "resr:dead-letter"), 1);
  RedisReply letters = redis.command({"XRANGE", "resr:dead-letter", "-", "+"});
  ASSERT_TRUE(letters && letters->elements == 1);
  const redisReply* fields = letters->element[0]->element[1];
  ASSERT_GE(fields->elements, 6u);
  EXPECT_EQ(reply_text(fields->element[1]), poison);
  EXPECT_EQ(reply_text(fields->element[5]), "node-a");  // the node it died with
  EXPECT_EQ(pending_entries(redis), 0);
  auto gone = to_b.Get("/result/" + poison + "/download");
  ASSERT_TRUE(gone);
  EXPECT_NE(gone->status, 200);
}

}  // namespace
}  // namespace resr::testing
