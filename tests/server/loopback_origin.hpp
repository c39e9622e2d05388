// A real HTTP server on a free loopback port that URL inputs are fetched from,
// with one route per remote behaviour: an image, an endless stream, an
// announced oversized body, a slow answer, redirect chains, errors, and files
// a test hands in.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>

namespace resr::testing {

class LoopbackOrigin {
 public:
  static constexpr int64_t kStreamChunk = 64 << 10;
  static constexpr int64_t kStreamTotal = int64_t{256} << 20;
  static constexpr int64_t kAnnouncedSize = int64_t{10} << 20;

  struct File {
    std::string body;
    std::string content_type;
  };

  // `files` are served as /files/NAME.
  explicit LoopbackOrigin(std::map<std::string, File> files = {}) : files_(std::move(files)) {
    server_.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
      ++requests_;
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_.Get("/image", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("PNG-BYTES", "image/png");
    });
    server_.Get("/files/(.+)", [this](const httplib::Request& req, httplib::Response& res) {
      const auto found = files_.find(req.matches[1]);
      if (found == files_.end()) {
        res.status = 404;
        return;
      }
      res.set_content(found->second.body, found->second.content_type.c_str());
    });
    // No Content-Length: the cap can only be enforced while streaming.
    server_.Get("/stream", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/octet-stream",
                                       [this](size_t, httplib::DataSink& sink) {
                                         if (streamed_ >= kStreamTotal) {
                                           sink.done();
                                           return true;
                                         }
                                         const std::string chunk(kStreamChunk, 'x');
                                         if (!sink.write(chunk.data(), chunk.size())) return false;
                                         streamed_ += kStreamChunk;
                                         return true;
                                       });
    });
    server_.Get("/announced", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(kAnnouncedSize, "application/octet-stream",
                               [](size_t, size_t length, httplib::DataSink& sink) {
                                 const std::string chunk(std::min<size_t>(length, kStreamChunk),
                                                         'x');
                                 return sink.write(chunk.data(), chunk.size());
                               });
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      res.set_content("late", "text/plain");
    });
    // /hops/N answers with N redirects in a row before the image; with
    // ?to=PATH the last one goes to PATH instead of /image.
    server_.Get(R"(/hops/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      const int n = std::stoi(req.matches[1]);
      const std::string to = req.has_param("to") ? req.get_param_value("to") : "/image";
      res.set_redirect(n <= 1 ? to
                              : "/hops/" + std::to_string(n - 1) +
                                    (req.has_param("to") ? "?to=" + to : ""));
    });
    server_.Get("/redirect", [](const httplib::Request& req, httplib::Response& res) {
      res.set_redirect(req.get_param_value("to"));
    });
    server_.Get("/missing",
                [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    server_.Get("/broken",
                [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost and join() would hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LoopbackOrigin() {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int requests() const { return requests_; }
  int64_t streamed() const { return streamed_; }

 private:
  const std::map<std::string, File> files_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_ = 0;
  std::atomic<int64_t> streamed_ = 0;
};

}  // namespace resr::testing
