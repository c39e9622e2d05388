// Shared by the server tests: a real JobServer on a free loopback port with a
// tiny model, an HTTP client for it, test images and polling helpers.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vips/vips.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/job_server.hpp"
#include "support/image_files.hpp"

namespace resr::testing {

inline std::string tiny_model_path() {
  return (std::filesystem::path(RESR_TEST_DATA) / "golden/srvgg_prelu_x4.param").string();
}

// A small RGB image: 12 x 8, upscaled x4 in milliseconds.
inline std::string small_png() { return read_file_bytes(fixture("rgb8.png")); }

// `image` cast to 8 bits and encoded as PNG.
inline std::string png_of(VipsImagePtr image) {
  VipsImage* cast = nullptr;
  EXPECT_EQ(vips_cast_uchar(image.get(), &cast, nullptr), 0);
  VipsImagePtr bytes(cast);
  void* buffer = nullptr;
  size_t size = 0;
  EXPECT_EQ(vips_pngsave_buffer(bytes.get(), &buffer, &size, nullptr), 0);
  std::string png(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return png;
}

// A flat PNG of side x side: with tile_size 32 it runs long enough (one
// model call per 32 x 32 tile) to be seen running, canceled or timed out.
inline std::string flat_png(int side) {
  EXPECT_TRUE(ensure_vips().is_ok());
  VipsImage* black = nullptr;
  EXPECT_EQ(vips_black(&black, side, side, "bands", 3, nullptr), 0);
  return png_of(VipsImagePtr(black));
}

inline ServerConfig test_config(const std::filesystem::path& data_dir) {
  ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.model = tiny_model_path();
  config.data_dir = data_dir;
  config.threads = 1;
  return config;
}

// Polls `done` every 10 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A server in this process, stopped at the end of the test.
class TestServer {
 public:
  explicit TestServer(const ServerConfig& config) {
    auto started = JobServer::start(config);
    if (!started.is_ok()) {
      ADD_FAILURE() << started.status().message();
      return;
    }
    server_ = std::move(started).value();
  }
  ~TestServer() {
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }
  bool ok() const { return server_ != nullptr; }
  JobServer& server() { return *server_; }
  int port() const { return server_->port(); }

  httplib::Client client(const std::string& token = "") const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(60);
    if (!token.empty()) c.set_default_headers({{"X-Token", token}});
    return c;
  }

 private:
  std::unique_ptr<JobServer> server_;
};

inline httplib::MultipartFormDataItems upload(const std::string& field, const std::string& bytes,
                                              const httplib::Params& fields = {}) {
  httplib::MultipartFormDataItems items = {{field, bytes, "image.png", "image/png"}};
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  return items;
}

// POST /sr; returns the task id ("" with a test failure when not 202).
inline std::string submit(httplib::Client& client, const std::string& bytes,
                          const httplib::Params& fields = {},
                          const httplib::Headers& headers = {}) {
  auto res = client.Post("/sr", headers, upload("file", bytes, fields));
  if (!res || res->status != 202) {
    ADD_FAILURE() << "POST /sr: "
                  << (res ? std::to_string(res->status) + " " + res->body : "no response");
    return "";
  }
  return nlohmann::json::parse(res->body).at("task_id").get<std::string>();
}

inline nlohmann::json task_status(httplib::Client& client, const std::string& id) {
  auto res = client.Get("/result/" + id);
  if (!res || res->status != 200)
    return {{"status", res ? "http " + std::to_string(res->status) : "none"}};
  return nlohmann::json::parse(res->body);
}

inline bool reaches_state(httplib::Client& client, const std::string& id, const std::string& state,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return eventually([&] { return task_status(client, id).value("status", "") == state; }, timeout);
}

// Running in the worker, not only claimed from the store (a stop that comes
// between the two puts the task back in the queue): it reports progress.
inline bool reaches_worker(httplib::Client& client, const std::string& id) {
  return eventually([&] {
    const auto status = task_status(client, id);
    return status.value("status", "") == "running" && status.contains("progress");
  });
}

// Sends raw bytes on a fresh connection and returns what comes back before
// the server closes it or `wait` passes.
inline std::string raw_exchange(int port, const std::string& request,
                                std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, static_cast<size_t>(n));
  close(fd);
  return reply;
}

}  // namespace resr::testing
