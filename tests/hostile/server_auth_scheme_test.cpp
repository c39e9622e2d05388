// Issue 16.10: the Authorization scheme name is case-insensitive (RFC 9110
// §11.1): "bearer", "BEARER" and "Bearer" all carry the token, after one or
// more spaces.
#include <gtest/gtest.h>

#include "server_hostile_support.hpp"

namespace resr::testing {
namespace {

TEST(ServerAuthScheme, BearerInAnyCaseIsAccepted) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.token = "s3cret";
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR ", "bearer   "}) {
    auto res = client.Get("/health", {{"Authorization", std::string(scheme) + "s3cret"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << scheme << ": " << res->body;
  }
}

TEST(ServerAuthScheme, WrongTokenOrSchemeIsStillRefused) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.token = "s3cret";
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  for (const std::string value :
       {"bearer wrong", "Basic s3cret", "bearer", "bearers3cret", "s3cret", "bearer s3cret x"}) {
    expect_problem_reply(client.Get("/health", {{"Authorization", value}}), 401, "API token");
  }
}

}  // namespace
}  // namespace resr::testing
