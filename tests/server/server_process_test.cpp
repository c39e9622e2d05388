// The server as a process: kill -9 in the middle of a task, SIGTERM drain, a
// second signal, --daemon with its PID file, `server status` and `stop`.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>

#include "backend/cpu/cpu_target.hpp"
#include "engine/runnable_model.hpp"
#include "server_child.hpp"
#include "server_test_support.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {
namespace {

using nlohmann::json;

TEST(ServerProcess, KilledMidTaskTheTaskRunsAgainAfterRestart) {
  ScratchDir dir;
  const auto data = dir.path() / "data";
  std::string done, interrupted;
  {
    ServerChild server(data);
    auto client = server.client();
    done = submit(client, small_png());
    ASSERT_TRUE(reaches_state(client, done, "success"));
    interrupted = submit(client, flat_png(384), {{"tile_size", "32"}});
    ASSERT_TRUE(reaches_state(client, interrupted, "running"));
    server.signal(SIGKILL);
    EXPECT_EQ(server.wait(), 128 + SIGKILL);
  }
  ServerChild restarted(data);  // the dead server's PID file is stale: no complaint
  auto client = restarted.client();
  ASSERT_TRUE(reaches_state(client, interrupted, "success", std::chrono::seconds(60)))
      << task_status(client, interrupted);
  auto image = client.Get("/result/" + interrupted + "/download");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  // Finished before the kill: still there.
  EXPECT_EQ(client.Get("/result/" + done + "/download")->status, 200);
  EXPECT_EQ(task_status(client, done)["output"]["width"], 48);
}

TEST(ServerProcess, SigtermDrainsAndQueuedTasksWaitForTheNextStart) {
  ScratchDir dir;
  const auto data = dir.path() / "data";
  std::string slow, queued;
  {
    ServerChild server(data, {"REAL_ESRGAN_SERVE_DRAIN_GRACE_SECONDS=2"});
    auto client = server.client();
    slow = submit(client, flat_png(1536), {{"tile_size", "32"}});
    ASSERT_TRUE(reaches_worker(client, slow));
    queued = submit(client, small_png());
    server.signal(SIGTERM);
    ASSERT_TRUE(eventually([&] {
      auto res = client.Get("/readyz");
      return res && res->status == 503;
    }));
    auto refused = client.Post("/sr", upload("file", small_png()));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
    EXPECT_EQ(server.wait(std::chrono::seconds(30)), 0);
  }
  ServerChild restarted(data);
  auto client = restarted.client();
  // The interrupted task is back in line, first, not failed; the queued one follows it.
  const std::string state = task_status(client, slow)["status"];
  EXPECT_TRUE(state == "queued" || state == "running") << state;
  EXPECT_EQ(task_status(client, queued)["status"], "queued");
  client.Delete("/result/" + slow);
  EXPECT_TRUE(reaches_state(client, slow, "canceled"));
  EXPECT_TRUE(reaches_state(client, queued, "success")) << task_status(client, queued);
}

TEST(ServerProcess, SecondSignalExitsAtOnce) {
  ScratchDir dir;
  ServerChild server(dir.path() / "data");
  auto client = server.client();
  const std::string slow = submit(client, flat_png(1536), {{"tile_size", "32"}});
  ASSERT_TRUE(reaches_worker(client, slow));
  server.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return server.log().find("draining") != std::string::npos; }))
      << server.log();
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(std::chrono::seconds(5)), 130) << server.log();
}

TEST(ServerProcess, DaemonStatusAndStopThroughThePidFile) {
  ScratchDir dir;
  const std::string data = (dir.path() / "data").string();
  const CommandResult started = run_binary(
      {"server", "start", "--daemon", "-p", "0", "-m", tiny_model_path(), "--data-dir", data});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.out.find("serving"), std::string::npos) << started.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data/server.pid"));
  EXPECT_NE(read_whole_file(data + "/server.log").find("serving"), std::string::npos);

  const CommandResult again = run_binary(
      {"server", "start", "--daemon", "-p", "0", "-m", tiny_model_path(), "--data-dir", data});
  EXPECT_EQ(again.exit_code, exit_code_for(ErrorCode::kUnavailable));
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;

  CommandResult status = run_binary({"server", "status", "--data-dir", data, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const json s = json::parse(status.out);
  EXPECT_EQ(s["running"], true);
  EXPECT_EQ(s["health"]["model"]["arch"], "SRVGGNetCompact");

  const CommandResult stopped = run_binary({"server", "stop", "--data-dir", data});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("stopped"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/server.pid"));
  status = run_binary({"server", "status", "--data-dir", data});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_NE(status.out.find("not running"), std::string::npos);
}

TEST(ServerProcess, StalePidFileIsDetectedAndRemoved) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "data");
  const auto pid_file = dir.path() / "data/server.pid";
  write_file_bytes(pid_file, "999999\n");  // nobody holds its lock
  const std::string data = (dir.path() / "data").string();
  CommandResult status = run_binary({"server", "status", "--data-dir", data});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_NE(status.out.find("stale"), std::string::npos) << status.out;
  EXPECT_FALSE(std::filesystem::exists(pid_file));
  write_file_bytes(pid_file, "999999\n");
  const CommandResult stop = run_binary({"server", "stop", "--data-dir", data});
  EXPECT_EQ(stop.exit_code, 0);
  EXPECT_NE(stop.out.find("stale PID file of PID 999999"), std::string::npos) << stop.out;
  // A start over a stale file just takes it.
  write_file_bytes(pid_file, "999999\n");
  ServerChild server(dir.path() / "data");
  EXPECT_EQ(server.client().Get("/livez")->status, 200);
  EXPECT_EQ(std::atoi(read_whole_file(pid_file.string()).c_str()), server.pid());
}

// --precision and the precision setting as the CLI's: the server reports what
// it runs, and an engine refuses a precision it was not built for.
TEST(ServerProcess, PrecisionFlagIsReportedAndMustMatchAnEngine) {
  ScratchDir dir;
  {
    ServerChild fp32(dir.path() / "fp32");
    EXPECT_EQ(json::parse(fp32.client().Get("/health")->body)["precision"], "fp32");
  }
  if (cpu::cpu_has_bf16()) {
    ServerChild bf16(dir.path() / "bf16", {}, {"--precision", "bf16"});
    auto client = bf16.client();
    EXPECT_EQ(json::parse(client.Get("/health")->body)["precision"], "bf16");
    EXPECT_NE(bf16.log().find("cpu bf16"), std::string::npos) << bf16.log();
    auto res = client.Post("/upscale", upload("image", small_png()));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
  } else {
    const CommandResult refused =
        run_binary({"server", "start", "-p", "0", "-m", tiny_model_path(), "--precision", "bf16",
                    "--data-dir", (dir.path() / "bf16").string()});
    EXPECT_EQ(refused.exit_code, exit_code_for(ErrorCode::kUnsupported)) << refused.err;
    EXPECT_NE(refused.err.find("AVX512-BF16"), std::string::npos) << refused.err;
  }

  auto model = load_model(tiny_model_path());
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto runnable = compile_model(**model, "cpu", {});
  ASSERT_TRUE(runnable.is_ok());
  const std::string engine = (dir.path() / "tiny.engine").string();
  ASSERT_TRUE(write_engine(*runnable, std::nullopt, engine).is_ok());
  const std::string data = (dir.path() / "engine").string();
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--precision", "bf16"}, std::vector<std::string>{}}) {
    std::vector<std::string> args = {"server", "start", "-p",         "0",
                                     "-e",     engine,  "--data-dir", data};
    args.insert(args.end(), how.begin(), how.end());
    const CommandResult refused =
        run_binary(args, how.empty() ? std::vector<std::string>{"REAL_ESRGAN_SERVE_PRECISION=bf16"}
                                     : std::vector<std::string>{});
    EXPECT_EQ(refused.exit_code, exit_code_for(ErrorCode::kInvalidArgument)) << refused.err;
    EXPECT_NE(refused.err.find("--precision bf16: engine " + engine +
                               " was built for fp32; rebuild it with --precision bf16"),
              std::string::npos)
        << refused.err;
  }
  // "auto" and the engine's own precision are accepted (-m of ServerChild and
  // -e exclude each other, as in the CLI: the engine comes from the environment).
  for (const std::string precision : {"auto", "fp32"}) {
    ServerChild served(dir.path() / ("engine-" + precision), {"REAL_ESRGAN_SERVE_ENGINE=" + engine},
                       {"--precision", precision});
    const json health = json::parse(served.client().Get("/health")->body);
    EXPECT_EQ(health["precision"], "fp32");
    EXPECT_EQ(health["model"]["name"], engine);
  }
}

}  // namespace
}  // namespace resr::testing
