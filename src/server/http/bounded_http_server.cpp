#include "server/http/bounded_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "server/http/connection_triage.hpp"
#include "server/http/problem_response.hpp"

namespace resr {

namespace {

using Clock = std::chrono::steady_clock;

// Set on the thread that serves connections over the limit.
thread_local bool t_reject_connection = false;

// A socket stream whose reads and writes keep to HttpLimits.
class BoundedSocketStream final : public httplib::Stream {
 public:
  BoundedSocketStream(socket_t sock, const HttpLimits& limits, std::atomic<int>& open)
      : sock_(sock), limits_(limits), open_(open) {}
  ~BoundedSocketStream() { stop_counting(); }

  // Starts a request (`last`: the connection's last): headers are counted
  // against max_header_bytes and must all be here by `header_deadline`.
  void begin_request(bool last, Clock::time_point header_deadline) {
    last_request_ = last;
    reading_headers_ = true;
    header_bytes_ = 0;
    header_deadline_ = header_deadline;
    start_phase(read_phase_);
    writing_ = false;
    close_after_response_ = false;
  }
  // Headers read; a request that asks to close (or the last one allowed)
  // gets the connection's last response.
  void headers_done(bool client_closes) {
    reading_headers_ = false;
    if (client_closes || last_request_) stop_counting();
  }
  void request_close() {
    close_after_response_ = true;
    stop_counting();
  }
  // The connection no longer counts as open once its last response is
  // decided: its client may have that response and reconnect before this
  // thread has closed the socket, and the new connection must not be refused
  // for the old one.
  void stop_counting() {
    if (counted_) --open_;
    counted_ = false;
  }
  // The response ends the connection: asked for, or the client broke a bound
  // (what it sent is incomplete, so the connection cannot be reused).
  bool close_requested() const { return close_after_response_ || broken_; }

  // Waits for the next request until `until`; false when it does not come,
  // the server stops, or (with `idle`: a kept-alive connection, which may be
  // closed to make room) the connection was closed for a new one.
  bool wait_for_next_request(Clock::time_point until, const std::atomic<socket_t>& server_socket,
                             IdleConnections* idle) {
    if (buffered() > 0) return true;
    if (idle != nullptr) idle->enter(sock_);
    int ready = 0;
    while (ready == 0 && server_socket != INVALID_SOCKET && Clock::now() < until) {
      // Short slices so a stopping server is noticed.
      ready = wait(POLLIN, 100);
    }
    if (idle != nullptr && !idle->leave(sock_)) return false;
    return ready > 0;
  }

  bool is_readable() const override {
    return buffered() > 0 || wait(POLLIN, limits_.read_timeout_seconds * 1000) > 0;
  }
  bool is_writable() const override {
    return wait(POLLOUT, limits_.write_timeout_seconds * 1000) > 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (reading_headers_ && header_bytes_ >= limits_.max_header_bytes) return give_up();
    if (buffered() == 0) {
      int timeout = phase_timeout_ms(read_phase_, limits_.read_timeout_seconds);
      if (reading_headers_) timeout = std::min(timeout, ms_until(header_deadline_));
      const int ready = timeout <= 0 ? 0 : wait(POLLIN, timeout);
      if (ready == 0) return too_slow();
      if (ready < 0) return give_up();
      const ssize_t n = ::recv(sock_, buffer_, sizeof buffer_, 0);
      if (n <= 0) {
        broken_ = true;
        return n;
      }
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, buffered());
    if (reading_headers_) n = std::min(n, limits_.max_header_bytes - header_bytes_);
    std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
    begin_ += n;
    read_phase_.bytes += static_cast<int64_t>(n);
    if (reading_headers_) header_bytes_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (answered_) return -1;  // the client has its answer (408) already
    if (!writing_) {
      writing_ = true;
      start_phase(write_phase_);
    }
    const int timeout = phase_timeout_ms(write_phase_, limits_.write_timeout_seconds);
    if (timeout <= 0 || wait(POLLOUT, timeout) <= 0) return give_up();
    const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    if (n > 0) write_phase_.bytes += n;
    if (n <= 0) broken_ = true;
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(getsockname, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  struct Phase {
    Clock::time_point start;
    int64_t bytes = 0;
  };
  static void start_phase(Phase& phase) { phase = {Clock::now(), 0}; }

  // Milliseconds left in a phase: the timeout as slack, plus one second per
  // min_bytes_per_second moved; never more than the timeout at once.
  int phase_timeout_ms(const Phase& phase, int timeout_seconds) const {
    const double allowed = timeout_seconds + static_cast<double>(phase.bytes) /
                                                 static_cast<double>(limits_.min_bytes_per_second);
    const double used = std::chrono::duration<double>(Clock::now() - phase.start).count();
    return static_cast<int>(std::min<double>((allowed - used) * 1000, timeout_seconds * 1000.0));
  }

  size_t buffered() const { return end_ - begin_; }

  ssize_t give_up() {
    broken_ = true;
    return -1;
  }

  // The client stopped sending in the middle of a request: 408, which
  // httplib would answer as a malformed request (400). A connection that
  // sent nothing of a request is closed without a word.
  ssize_t too_slow() {
    if (!reading_headers_ || header_bytes_ > 0) {
      const std::string reply = raw_problem_response(
          408, reading_headers_
                   ? "the request headers did not arrive within " +
                         std::to_string(limits_.header_timeout_seconds) +
                         " s (server setting header_timeout_seconds)"
                   : "the request body stopped arriving, or came too slowly (server setting "
                     "read_timeout_seconds)");
      ::send(sock_, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      answered_ = true;
    }
    return give_up();
  }

  static int ms_until(Clock::time_point deadline) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  }

  int wait(short events, int timeout_ms) const {
    pollfd p{sock_, events, 0};
    const auto poll_once = [&p](int ms) {
      int r;
      while ((r = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {
      }
      return r;
    };
    int r = poll_once(0);
    if (r == 0 && timeout_ms > 0) {
      // Waiting on the client: another request may use the slot meanwhile.
      RequestAdmission::Waiting waiting;
      r = poll_once(timeout_ms);
    }
    if (r > 0 && (p.revents & (POLLERR | POLLNVAL)) != 0) return -1;
    return r;
  }

  template <typename Getter>
  void address_of(Getter getter, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (getter(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char host[64] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
      port = ntohs(a->sin6_port);
    }
    ip = host;
  }

  socket_t sock_;
  const HttpLimits& limits_;
  std::atomic<int>& open_;
  bool counted_ = true;
  bool last_request_ = false;
  char buffer_[16 * 1024];
  size_t begin_ = 0, end_ = 0;
  bool reading_headers_ = false;
  size_t header_bytes_ = 0;
  bool writing_ = false;
  bool close_after_response_ = false;
  bool broken_ = false;
  bool answered_ = false;
  Clock::time_point header_deadline_;
  Phase read_phase_, write_phase_;
};

thread_local BoundedSocketStream* t_stream = nullptr;

}  // namespace

// Connection threads for `size` open connections and `reserve` reserved
// ones. A connection counts as open (in `open`) from its accept until its
// last response is decided (see BoundedSocketStream::stop_counting); its
// thread stays busy a little longer, writing that response and closing, so
// there are twice as many threads as open connections allowed. When `size`
// are open, the connection idle longest makes room; with none idle, or every
// thread busy, one more thread hands the connection to triage: none waits
// unseen in a queue.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  struct Counters {
    std::atomic<int>& open;
    std::atomic<int>& reserved;
    IdleConnections& idle;
  };

  ConnectionPool(size_t size, size_t reserve, Counters counters, size_t max_header_bytes,
                 std::function<bool(const httplib::Request&)> privileged,
                 std::function<void(int)> serve_reserved)
      : size_(size),
        reserve_(reserve),
        threads_count_(2 * size + reserve),
        counters_(counters),
        serve_reserved_(std::move(serve_reserved)),
        triage_(std::make_unique<ConnectionTriage>(
            max_header_bytes,
            [privileged = std::move(privileged)](const httplib::Request& req) {
              return privileged && privileged(req);
            },
            [this](int fd) { return enqueue_reserved(fd); })) {
    for (size_t i = 0; i < threads_count_; ++i)
      threads_.emplace_back([this] { serve(jobs_, false); });
    threads_.emplace_back([this] { serve(rejects_, true); });
  }

  // One connection wakes one thread: waking every idle thread for each new
  // connection (a pool is max_connections threads) costs more CPU than
  // serving the request.
  void enqueue(std::function<void()> fn) override {
    bool reject;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reject = jobs_.queue.size() + busy_ >= threads_count_ ||
               (static_cast<size_t>(counters_.open) >= size_ && !counters_.idle.evict_oldest());
      if (!reject) ++counters_.open;
      (reject ? rejects_ : jobs_).queue.push_back(std::move(fn));
    }
    (reject ? rejects_ : jobs_).ready.notify_one();
  }

  // For the connection a rejected job carries.
  void triage(int fd) { triage_->add(fd); }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    jobs_.ready.notify_all();
    rejects_.ready.notify_all();
    for (std::thread& t : threads_) t.join();
    triage_.reset();  // no thread hands it connections any more
  }

 private:
  struct Jobs {
    std::deque<std::function<void()>> queue;
    std::condition_variable ready;
  };

  bool enqueue_reserved(int fd) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (shutdown_ || static_cast<size_t>(counters_.reserved) >= reserve_ ||
          jobs_.queue.size() + busy_ >= threads_count_) {
        return false;
      }
      ++counters_.reserved;
      jobs_.queue.push_back([this, fd] { serve_reserved_(fd); });
    }
    jobs_.ready.notify_one();
    return true;
  }

  void serve(Jobs& jobs, bool reject) {
    t_reject_connection = reject;
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        jobs.ready.wait(lock, [&] { return shutdown_ || !jobs.queue.empty(); });
        if (jobs.queue.empty()) return;
        fn = std::move(jobs.queue.front());
        jobs.queue.pop_front();
        if (!reject) ++busy_;
      }
      fn();
      if (!reject) {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
    }
  }

  const size_t size_, reserve_, threads_count_;
  Counters counters_;
  std::function<void(int)> serve_reserved_;
  std::mutex mutex_;
  Jobs jobs_, rejects_;
  size_t busy_ = 0;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
  std::unique_ptr<ConnectionTriage> triage_;
};

BoundedHttpServer::BoundedHttpServer(HttpLimits limits)
    : limits_(limits),
      admission_(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) {
  new_task_queue = [this] {
    pool_ = new ConnectionPool(
        static_cast<size_t>(std::max(1, limits_.max_connections)),
        static_cast<size_t>(std::max(0, limits_.reserved_connections)),
        {open_connections_, reserved_connections_, idle_}, limits_.max_header_bytes,
        [this](const httplib::Request& req) { return privileged_ && privileged_(req); },
        [this](int fd) { serve_connection(fd, true); });
    return pool_;
  };
  set_read_timeout(limits_.read_timeout_seconds);
  set_write_timeout(limits_.write_timeout_seconds);
  // Headers were read: from here on the body's rate rules apply.
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (t_stream != nullptr) t_stream->headers_done(req.get_header_value("Connection") == "close");
    return gate_ ? gate_(req, res) : HandlerResponse::Unhandled;
  });
}

int BoundedHttpServer::bind_and_listen(const std::string& host, int port, int backlog) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  // Listening again on a listening socket only changes its backlog.
  if (bound > 0 && ::listen(svr_sock_, backlog) != 0) return -1;
  return bound;
}

void BoundedHttpServer::close_connection_after_response() {
  if (t_stream != nullptr) t_stream->request_close();
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  if (t_reject_connection) {
    pool_->triage(sock);
    return false;
  }
  return serve_connection(sock, false);
}

bool BoundedHttpServer::serve_connection(socket_t sock, bool reserved) {
  // httplib writes a response's headers and body separately: with Nagle's
  // algorithm the body would wait for the client's delayed ACK (40 ms) on
  // every kept-alive request.
  const int no_delay = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay);
  BoundedSocketStream stream(sock, limits_, reserved ? reserved_connections_ : open_connections_);
  t_stream = &stream;
  const auto header_time = std::chrono::seconds(limits_.header_timeout_seconds);
  const int requests = reserved ? 1 : limits_.keep_alive_requests;
  auto header_deadline = Clock::now() + header_time;  // the first request's: from the accept
  bool ok = true;
  for (int n = 0; n < requests && svr_sock_ != INVALID_SOCKET; ++n) {
    // A request takes an admission slot once its first bytes are here.
    const auto until = n == 0
                           ? header_deadline
                           : Clock::now() + std::chrono::seconds(limits_.keep_alive_idle_seconds);
    if (!stream.wait_for_next_request(until, svr_sock_, n == 0 ? nullptr : &idle_)) break;
    if (n > 0) header_deadline = Clock::now() + header_time;
    const bool last = n + 1 == requests;
    stream.begin_request(last, header_deadline);
    bool connection_closed = false;
    {
      RequestAdmission::Admitted admitted(admission_);
      ok = process_request(stream, last, connection_closed, nullptr);
    }
    if (!ok || connection_closed || stream.close_requested()) break;
  }
  t_stream = nullptr;
  stream.stop_counting();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace resr
