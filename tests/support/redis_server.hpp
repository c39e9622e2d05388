// A real redis-server for the cluster tests: on a free loopback port, with an
// append-only file in its own folder and no RDB snapshots, stopped at the end.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/cluster/redis_connection.hpp"

extern char** environ;

namespace resr::testing {

// A port nothing listens on now (the kernel's choice for a bound socket).
inline int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

class RedisServer {
 public:
  // `eviction`: the maxmemory-policy it runs with.
  explicit RedisServer(const std::filesystem::path& dir, std::string eviction = "noeviction")
      : dir_(dir), eviction_(std::move(eviction)), port_(free_loopback_port()) {
    std::filesystem::create_directories(dir_);
    start();
  }
  ~RedisServer() { stop(); }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  void start() {
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "yes",
                                     "--appendfsync",
                                     "always",
                                     "--dir",
                                     dir_.string(),
                                     "--maxmemory-policy",
                                     eviction_,
                                     "--logfile",
                                     (dir_ / "redis.log").string()};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ), 0);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      auto reply = command({"PING"});
      if (reply && reply_text(reply.get()) == "PONG") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "redis-server did not answer on port " << port_;
  }

  // SIGTERM: Redis writes its append-only file and exits.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    connection_.reset();
  }

  // One command on the test's own connection; null when it failed.
  RedisReply command(const std::vector<std::string>& args) {
    if (!connection_) {
      auto opened = RedisConnection::open({"127.0.0.1", port_, 0});
      if (!opened.is_ok()) return nullptr;
      connection_ = std::move(opened).value();
    }
    auto reply = connection_->command(args);
    return reply.is_ok() ? std::move(reply).value() : nullptr;
  }

  // A field of a task's hash.
  std::string task_field(const std::string& id, const std::string& field) {
    RedisReply reply = command({"HGET", "resr:task:" + id, field});
    return reply ? reply_text(reply.get()) : "";
  }

 private:
  std::filesystem::path dir_;
  std::string eviction_;
  int port_;
  pid_t pid_ = 0;
  std::unique_ptr<RedisConnection> connection_;
};

}  // namespace resr::testing
