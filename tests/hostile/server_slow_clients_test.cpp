// Issue 16.2: slow clients used to starve everyone. 64 sockets that send a
// header byte now and then filled max_connections, and every route, /livez
// and /readyz included, answered 503 for as long as they stayed. Now headers
// must arrive within header_timeout_seconds, idle keep-alive connections go
// first when the server is full, the probes are answered under any such load,
// and a request that carries the token gets a reserved connection.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server_hostile_support.hpp"

namespace resr::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Sockets that start a request and then send one header byte every
// `interval`, as a slowloris client does, until stopped.
class Tricklers {
 public:
  Tricklers(int port, int count, std::chrono::milliseconds interval) {
    for (int i = 0; i < count; ++i) {
      const int fd = connect_to(port);
      if (fd < 0) continue;
      send(fd, "GET /health HTTP/1.1\r\nX-Slow: ", 30, MSG_NOSIGNAL);
      fds_.push_back(fd);
    }
    thread_ = std::thread([this, interval] {
      while (!stop_) {
        for (int fd : fds_) send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(interval);
      }
    });
  }
  ~Tricklers() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) close(fd);
  }
  // How many of the sockets the server has closed (EOF or reset), waiting up to `wait`.
  int closed_by_server(std::chrono::milliseconds wait) const {
    const auto until = Clock::now() + wait;
    std::vector<bool> closed(fds_.size(), false);
    int count = 0;
    while (Clock::now() < until && count < static_cast<int>(fds_.size())) {
      for (size_t i = 0; i < fds_.size(); ++i) {
        if (closed[i]) continue;
        char buffer[4096];
        const ssize_t n = recv(fds_[i], buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          closed[i] = true;
          ++count;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return count;
  }
  int size() const { return static_cast<int>(fds_.size()); }

 private:
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int status_of(httplib::Client& client, const std::string& path,
              const httplib::Headers& headers = {}) {
  auto res = client.Get(path, headers);
  return res ? res->status : 0;
}

TEST(ServerSlowClients, ProbesAndTokenHoldersAreServedWhileSlowSocketsTrickle) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.token = "s3cret";
  config.max_connections = 64;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  Tricklers slow(server.port(), 80, std::chrono::milliseconds(300));
  ASSERT_EQ(slow.size(), 80);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // they hold every connection now
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(false);
  client.set_read_timeout(10);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(status_of(client, "/livez"), 200) << "round " << round;
    EXPECT_EQ(status_of(client, "/readyz"), 200) << "round " << round;
    EXPECT_EQ(status_of(client, "/health", {{"X-Token", "s3cret"}}), 200) << "round " << round;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

TEST(ServerSlowClients, HeadersMustArriveWithinTheHeaderTimeout) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.header_timeout_seconds = 2;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  const auto start = Clock::now();
  // Within max_connections (64): closed without a word. Of the tricklers, the
  // one over the limit is refused with 503, the others closed after a 408.
  const int silent = connect_to(server.port());  // sends nothing at all
  Tricklers slow(server.port(), 64, std::chrono::milliseconds(200));
  EXPECT_EQ(slow.closed_by_server(std::chrono::seconds(8)), 64);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  char byte;
  pollfd p{silent, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 3000), 1);
  EXPECT_LE(recv(silent, &byte, 1, 0), 0);
  close(silent);
  auto client = server.client();
  EXPECT_EQ(status_of(client, "/health"), 200);
  // A request cut short in its headers is answered 408 (httplib said 400).
  const std::string reply =
      raw_exchange(server.port(), "GET /health HTTP/1.1\r\nX-Slow: a", std::chrono::seconds(10));
  EXPECT_EQ(reply_status(reply), 408) << reply;
  EXPECT_NE(reply_body(reply).find("header_timeout_seconds"), std::string::npos) << reply;
}

TEST(ServerSlowClients, IdleKeepAliveConnectionsGoFirstWhenFull) {
  ScratchDir dir;
  ServerConfig config = test_config(dir.path());
  config.max_connections = 4;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  // Four clients that keep their connections open after one request each.
  std::vector<std::unique_ptr<httplib::Client>> kept;
  for (int i = 0; i < 4; ++i) {
    kept.push_back(std::make_unique<httplib::Client>("127.0.0.1", server.port()));
    kept.back()->set_keep_alive(true);
    ASSERT_EQ(status_of(*kept.back(), "/health"), 200);
  }
  httplib::Client late("127.0.0.1", server.port());
  EXPECT_EQ(status_of(late, "/health"), 200);
  // A kept client whose connection was dropped reconnects and is served too.
  EXPECT_EQ(status_of(*kept.front(), "/health"), 200);
}

}  // namespace
}  // namespace resr::testing
