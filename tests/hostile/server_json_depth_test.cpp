// Issue 16.1: a JSON body nested 100,000 levels deep used to end the server
// with SIGSEGV (the value was dumped recursively for the parameters). The
// depth is now bounded before anything walks the value.
#include <gtest/gtest.h>

#include "server_hostile_support.hpp"

namespace resr::testing {
namespace {

std::string nested_array(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ServerJsonDepth, DeeplyNestedMemberIs400AndTheServerLives) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string body = R"({"url": )" + nested_array(100000) + "}";
  expect_problem_reply(client.Post("/sr", body, "application/json"), 400, "nests deeper than");
  expect_problem_reply(
      client.Post("/sr", R"({"scale": )" + nested_array(100000) + "}", "application/json"), 400,
      "nests deeper than");
  EXPECT_EQ(client.Get("/livez")->status, 200);
}

TEST(ServerJsonDepth, DeeplyNestedTopLevelIs400) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  expect_problem_reply(client.Post("/sr", nested_array(100000), "application/json"), 400,
                       "nests deeper than");
  expect_problem_reply(client.Post("/sr", std::string(100000, '{'), "application/json"), 400,
                       "nests deeper than");
  EXPECT_EQ(client.Get("/livez")->status, 200);
}

TEST(ServerJsonDepth, ShallowBodiesStillWork) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  // A member nested a few levels is no parameter of ours, but it is no attack:
  // the usual 400 names the parameter.
  expect_problem_reply(client.Post("/sr", R"({"scale": [[[1]]]})", "application/json"), 400,
                       "parameter 'scale'");
  expect_problem_reply(client.Post("/sr", R"({"scale": )", "application/json"), 400,
                       "not valid JSON");
}

}  // namespace
}  // namespace resr::testing
