// Issue 16.7: a POST that needs a body but announces no length is answered
// 411 at once (it used to wait 30 s for the connection to close), and a body
// that stops arriving is answered 408 (it used to be 400).
#include <gtest/gtest.h>

#include "server_hostile_support.hpp"

namespace resr::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ServerRequestBody, PostWithoutLengthIs411AtOnce) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  for (const char* route : {"/sr", "/upscale"}) {
    const auto start = Clock::now();
    const std::string reply =
        raw_exchange(server.port(), std::string("POST ") + route + " HTTP/1.1\r\nHost: x\r\n\r\n",
                     std::chrono::seconds(10));
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3)) << route;
    EXPECT_EQ(reply_status(reply), 411) << route << ": " << reply;
    EXPECT_NE(reply_body(reply).find("Content-Length"), std::string::npos) << reply;
  }
}

TEST(ServerRequestBody, StalledBodyIs408) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.read_timeout_seconds = 1;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  const auto start = Clock::now();
  // 1000 bytes announced, 10 sent, then silence.
  const std::string reply = raw_exchange(server.port(),
                                         "POST /sr HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Type: multipart/form-data; boundary=b\r\n"
                                         "Content-Length: 1000\r\n\r\n--b\r\n0123",
                                         std::chrono::seconds(10));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(reply_status(reply), 408) << reply;
  EXPECT_NE(reply_body(reply).find("stopped arriving"), std::string::npos) << reply;
}

}  // namespace
}  // namespace resr::testing
