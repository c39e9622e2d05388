// cpp-httplib's server with every resource a client can hold bounded.
//
// httplib 0.11.4 reads a request line or header of any length into memory and
// gives a client that trickles bytes unlimited time; its thread pool queues
// connections without limit. This server serves each connection through its
// own stream instead: request headers at most max_header_bytes, and every
// read or write phase must keep an average rate (after a grace of
// the read or write timeout), else the connection is closed. Connections past
// max_connections get an immediate 503. Requests whose bytes have arrived are
// served one per core at a time, in arrival order (RequestAdmission).
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>

#include "server/http/request_admission.hpp"

namespace resr {

struct HttpLimits {
  int max_connections = 64;
  int read_timeout_seconds = 30;   // longest silence, and the slack of a read phase
  int write_timeout_seconds = 30;  // the same for responses
  int64_t min_bytes_per_second = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  int keep_alive_requests = 100;
  int keep_alive_idle_seconds = 5;
};

class BoundedHttpServer : public httplib::Server {
 public:
  explicit BoundedHttpServer(HttpLimits limits);

  // Runs once a request's headers are read, before its body: answer (Handled)
  // to refuse the request unread. Use this, not set_pre_routing_handler.
  void set_request_gate(HandlerWithResponse gate) { gate_ = std::move(gate); }

  // Binds host:port (0: any free port) and listens with a backlog of
  // `backlog` (httplib's own is 5: a burst of clients would wait seconds for
  // SYN retries). Returns the port, or -1.
  int bind_and_listen(const std::string& host, int port, int backlog = 1024);

  // For a handler: this response ends its connection (a refused body was not read).
  static void close_connection_after_response();
  int open_connections() const { return open_connections_; }
  // Requests whose bytes are here, waiting for a turn to be served.
  int queued_requests() const { return admission_.queued(); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  HttpLimits limits_;
  HandlerWithResponse gate_;
  std::atomic<int> open_connections_{0};
  RequestAdmission admission_;  // one request per core computes at a time
};

}  // namespace resr
