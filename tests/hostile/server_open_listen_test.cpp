// Issue 16 (also): a server listening on an address other than loopback with
// no token would serve anyone. It now refuses to start (exit 2) unless the
// user says so with --allow-open-server (allow_open_server, or
// REAL_ESRGAN_SERVE_ALLOW_OPEN_SERVER), and then warns at every start.
#include <gtest/gtest.h>

#include "server/listen_exposure.hpp"
#include "server_hostile_support.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {
namespace {

TEST(ServerOpenListen, NonLoopbackWithoutTokenIsRefused) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.host = "0.0.0.0";
  auto started = JobServer::start(config);
  ASSERT_FALSE(started.is_ok());
  EXPECT_EQ(started.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(started.status().message().find("--allow-open-server"), std::string::npos)
      << started.status().message();
  EXPECT_NE(started.status().message().find("token"), std::string::npos);
}

TEST(ServerOpenListen, LoopbackOrATokenOrTheFlagPassesTheCheck) {
  ServerConfig config;
  for (const char* host : {"127.0.0.1", "127.8.9.10", "::1", "LocalHost"}) {
    config.host = host;
    EXPECT_TRUE(check_listen_exposure(config).is_ok()) << host;
  }
  config.host = "0.0.0.0";
  EXPECT_FALSE(check_listen_exposure(config).is_ok());
  config.host = "128.0.0.1";
  EXPECT_FALSE(check_listen_exposure(config).is_ok());
  config.token = "s3cret";
  EXPECT_TRUE(check_listen_exposure(config).is_ok());
  config.token.clear();
  config.allow_open_server = true;
  EXPECT_TRUE(check_listen_exposure(config).is_ok());
}

TEST(ServerOpenListen, CliExitsWith2AndTheFlagWarns) {
  ScratchDir dir;
  const std::vector<std::string> args = {
      "server", "start", "--host",     "0.0.0.0",
      "-p",     "0",     "-m",         tiny_model_path(),
      "-j",     "1",     "--data-dir", (dir.path() / "data").string()};
  const CommandResult refused = run_program(RESR_BINARY, args);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--allow-open-server"), std::string::npos) << refused.err;
  // Allowed through the environment, the start goes past the check and warns
  // (it then stops at the model, which does not exist: no server is left running).
  const CommandResult env =
      run_program(RESR_BINARY,
                  {"server", "start", "--host", "0.0.0.0", "-p", "0", "-m", "/no/such/model",
                   "--data-dir", (dir.path() / "data2").string()},
                  {"REAL_ESRGAN_SERVE_ALLOW_OPEN_SERVER=true"});
  EXPECT_NE(env.exit_code, 2) << env.err;
  EXPECT_NE(env.err.find("warning: open server"), std::string::npos) << env.err;
}

}  // namespace
}  // namespace resr::testing
