// Shared by the hostile-client server tests: raw sockets that behave as an
// attacker's would, and checks on problem documents.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/server_test_support.hpp"

namespace resr::testing {

// A connected loopback socket (-1 with a test failure when it cannot connect).
inline int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "cannot connect to port " << port;
    close(fd);
    return -1;
  }
  return fd;
}

// The status code of a raw HTTP reply ("HTTP/1.1 411 ..." -> 411), 0 if none.
inline int reply_status(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::atoi(reply.substr(9, 3).c_str());
}

// The body of a raw reply, after the blank line.
inline std::string reply_body(const std::string& reply) {
  const size_t at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

// A problem document of `status` whose detail contains `detail_part`.
inline void expect_problem_reply(const httplib::Result& res, int status,
                                 const std::string& detail_part = "") {
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  EXPECT_EQ(body.value("status", 0), status) << res->body;
  EXPECT_NE(body.value("detail", "").find(detail_part), std::string::npos) << res->body;
}

}  // namespace resr::testing
