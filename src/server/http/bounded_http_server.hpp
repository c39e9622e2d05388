// cpp-httplib's server with every resource a client can hold bounded.
//
// httplib 0.11.4 reads a request line or header of any length into memory and
// gives a client that trickles bytes unlimited time; its thread pool queues
// connections without limit. This server serves each connection through its
// own stream instead: request headers at most max_header_bytes, and every
// read or write phase must keep an average rate (after a grace of
// the read or write timeout), else the connection is closed; the headers
// must all arrive within header_timeout_seconds (408). When max_connections
// are open, the kept-alive connection idle longest is closed for a new one;
// with none idle, a new one goes to triage (ConnectionTriage): probes and
// requests with the token are served from a small reserve, others get 503. Requests whose bytes
// have arrived are served one per core at a time, in arrival order (RequestAdmission).
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>

#include "server/http/idle_connections.hpp"
#include "server/http/request_admission.hpp"

namespace resr {

struct HttpLimits {
  int max_connections = 64;
  // Over max_connections: probes and requests with the token (see
  // ConnectionTriage), so slow anonymous clients cannot lock them out.
  int reserved_connections = 8;
  int header_timeout_seconds = 5;  // request line and headers, from the connection or first byte
  int read_timeout_seconds = 30;   // longest silence, and the slack of a read phase
  int write_timeout_seconds = 30;  // the same for responses
  int64_t min_bytes_per_second = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  int keep_alive_requests = 100;
  int keep_alive_idle_seconds = 5;
};

class ConnectionPool;

class BoundedHttpServer : public httplib::Server {
 public:
  explicit BoundedHttpServer(HttpLimits limits);

  // Runs once a request's headers are read, before its body: answer (Handled)
  // to refuse the request unread. Use this, not set_pre_routing_handler.
  void set_request_gate(HandlerWithResponse gate) { gate_ = std::move(gate); }
  // Which requests may use the reserved connections (from their headers alone).
  void set_privileged_request(std::function<bool(const httplib::Request&)> privileged) {
    privileged_ = std::move(privileged);
  }

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
  // Serves a connection's requests, one only on a reserved connection.
  bool serve_connection(socket_t sock, bool reserved);

  HttpLimits limits_;
  HandlerWithResponse gate_;
  std::function<bool(const httplib::Request&)> privileged_;
  std::atomic<int> open_connections_{0};
  std::atomic<int> reserved_connections_{0};
  IdleConnections idle_;
  ConnectionPool* pool_ = nullptr;  // owned by httplib while it listens
  RequestAdmission admission_;      // one request per core computes at a time
};

}  // namespace resr
