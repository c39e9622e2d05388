// Issue 16.12: an Idempotency-Key reused with another request answers 422
// (IETF draft-ietf-httpapi-idempotency-key-header); the same request returns
// the same task; a key longer than kMaxIdempotencyKeyBytes is a clear 400.
#include <gtest/gtest.h>

#include "server_hostile_support.hpp"

namespace resr::testing {
namespace {

using nlohmann::json;

TEST(ServerIdempotency, SameRequestSameTask) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const httplib::Headers key = {{"Idempotency-Key", "order-17"}};
  const std::string first = submit(client, small_png(), {{"scale", "2"}}, key);
  const std::string again = submit(client, small_png(), {{"scale", "2"}}, key);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, again);
}

TEST(ServerIdempotency, ReusedKeyWithAnotherPayloadIs422) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const httplib::Headers key = {{"Idempotency-Key", "order-18"}};
  const std::string first = submit(client, small_png(), {{"scale", "2"}}, key);
  ASSERT_FALSE(first.empty());
  // Other parameters, other image bytes, another file name: each a different request.
  expect_problem_reply(client.Post("/sr", key, upload("file", small_png(), {{"scale", "3"}})), 422,
                       "Idempotency-Key");
  expect_problem_reply(client.Post("/sr", key, upload("file", flat_png(16), {{"scale", "2"}})), 422,
                       "Idempotency-Key");
  httplib::MultipartFormDataItems renamed = {{"file", small_png(), "other.png", "image/png"},
                                             {"scale", "2", "", ""}};
  expect_problem_reply(client.Post("/sr", key, renamed), 422, "Idempotency-Key");
  // The first task is untouched and the key still finds it.
  EXPECT_EQ(submit(client, small_png(), {{"scale", "2"}}, key), first);
}

TEST(ServerIdempotency, HugeKeyIs400) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const httplib::Headers key = {{"Idempotency-Key", std::string(8000, 'k')}};
  expect_problem_reply(client.Post("/sr", key, upload("file", small_png())), 400,
                       "Idempotency-Key");
  // The longest allowed key works.
  EXPECT_FALSE(
      submit(client, small_png(), {}, {{"Idempotency-Key", std::string(255, 'k')}}).empty());
}

}  // namespace
}  // namespace resr::testing
