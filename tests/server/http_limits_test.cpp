// Bounds a client cannot get past (REFERENCE.md §5): bodies refused before
// they are read, chunked uploads, slow clients, oversized headers, too many
// connections.
#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace resr::testing {
namespace {

using Clock = std::chrono::steady_clock;

int connect_idle(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// Room for two connections; idle ones are kept for 20 s.
ServerConfig two_connections(const std::filesystem::path& dir) {
  ServerConfig config = test_config(dir);
  config.max_connections = 2;
  config.read_timeout_seconds = 20;
  return config;
}

TEST(ServerLimits, OversizedBodyIsRefusedBeforeItIsSent) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  // Only the headers go out: a 1 TB body announced. The answer comes anyway.
  const std::string reply = raw_exchange(
      server.port(),
      "POST /sr HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
      "Content-Length: 1000000000000\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("application/problem+json"), std::string::npos);
  EXPECT_NE(reply.find("max_upload_bytes"), std::string::npos);
  // With Expect: 100-continue the client is told before it sends anything.
  const std::string expect = raw_exchange(
      server.port(),
      "POST /upscale HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 99999999999\r\n\r\n");
  EXPECT_EQ(expect.rfind("HTTP/1.1 413 ", 0), 0u) << expect;
  EXPECT_EQ(expect.find("100 Continue"), std::string::npos);
}

TEST(ServerLimits, UploadOverTheCapGets413) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.max_upload_bytes = 100;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  auto res = client.Post("/sr", upload("file", small_png()));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
}

TEST(ServerLimits, ChunkedUploadIsRefused) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  const std::string reply = raw_exchange(
      server.port(),
      "POST /sr HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: multipart/form-data; boundary=b\r\n\r\n10\r\n0123456789abcdef\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 411 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("chunked"), std::string::npos);
}

TEST(ServerLimits, SlowClientIsDisconnected) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.read_timeout_seconds = 1;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  const auto start = Clock::now();
  // Headers that never end: the server gives up after the read timeout.
  const std::string reply =
      raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(20));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(reply.find("200 OK"), std::string::npos) << reply;
}

TEST(ServerLimits, HugeHeaderIsCutOff) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  const std::string reply = raw_exchange(
      server.port(), "GET /health HTTP/1.1\r\nX-Filler: " + std::string(100000, 'a') + "\r\n\r\n");
  EXPECT_EQ(reply.find("200 OK"), std::string::npos) << reply.substr(0, 200);
  auto client = server.client();
  EXPECT_EQ(client.Get("/health")->status, 200);
}

TEST(ServerLimits, ConnectionsOverTheLimitGet503) {
  ScratchDir dir;
  TestServer server(two_connections(dir.path()));
  ASSERT_TRUE(server.ok());
  const int a = connect_idle(server.port());
  const int b = connect_idle(server.port());
  auto client = server.client();
  httplib::Response busy;
  ASSERT_TRUE(eventually([&] {
    auto res = client.Get("/health");
    if (res) busy = *res;
    return res && res->status == 503;
  }));
  EXPECT_EQ(busy.get_header_value("Retry-After"), "1");
  EXPECT_NE(busy.body.find("too many open connections"), std::string::npos);
  close(a);
  close(b);
  EXPECT_TRUE(eventually([&] {
    auto ok = client.Get("/health");
    return ok && ok->status == 200;
  }));
}

// A connection whose last response is decided stops counting at once: a
// client that reconnects as soon as it has its answer (Connection: close,
// as curl in a loop does) is never refused because of the connection it just
// finished, even with only one connection free.
TEST(ServerLimits, AClientThatReconnectsAfterEachAnswerIsNeverRefused) {
  ScratchDir dir;
  TestServer server(two_connections(dir.path()));
  ASSERT_TRUE(server.ok());
  const int idle = connect_idle(server.port());
  auto client = server.client();
  client.set_keep_alive(false);
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto res = client.Get("/livez");
    ASSERT_TRUE(res) << "request " << i;
    if (res->status == 503) ++refused;
  }
  EXPECT_EQ(refused, 0);
  close(idle);
}

}  // namespace
}  // namespace resr::testing
