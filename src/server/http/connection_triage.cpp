#include "server/http/connection_triage.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "server/http/problem_response.hpp"

namespace resr {

namespace {

using Clock = std::chrono::steady_clock;

void refuse(int fd) {
  static const std::string busy =
      raw_problem_response(503, "too many open connections; retry shortly", "Retry-After: 1\r\n");
  // Best effort, without waiting on a client that does not read.
  ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// The request line and headers of a complete header block; only what the
// privilege decision needs (method, path, header fields).
httplib::Request parse_head(const std::string& head) {
  httplib::Request req;
  size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return req;
  req.method = line.substr(0, sp1);
  req.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.path = req.path.substr(0, req.path.find('?'));
  while (line_end != std::string::npos && line_end + 2 < head.size()) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string field = head.substr(start, line_end - start);
    const size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    const size_t value = field.find_first_not_of(" \t", colon + 1);
    req.headers.emplace(field.substr(0, colon),
                        value == std::string::npos ? "" : field.substr(value));
  }
  return req;
}

}  // namespace

ConnectionTriage::ConnectionTriage(size_t max_header_bytes,
                                   std::function<bool(const httplib::Request&)> privileged,
                                   std::function<bool(int)> admit)
    : max_header_bytes_(max_header_bytes),
      privileged_(std::move(privileged)),
      admit_(std::move(admit)),
      thread_([this] { run(); }) {}

ConnectionTriage::~ConnectionTriage() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  added_.notify_one();
  thread_.join();
}

void ConnectionTriage::add(int fd) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back({fd, Clock::now() + std::chrono::milliseconds(kTriageMilliseconds)});
  }
  added_.notify_one();
}

ConnectionTriage::Verdict ConnectionTriage::look_at(Waiting& waiting) const {
  int available = 0;
  if (::ioctl(waiting.fd, FIONREAD, &available) != 0) return Verdict::kGone;
  if (available == waiting.seen_bytes) {
    // Nothing new: a closed connection reads as end of file.
    char byte;
    const ssize_t n = ::recv(waiting.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return Verdict::kGone;
    return Clock::now() >= waiting.deadline ? Verdict::kRefuse : Verdict::kWait;
  }
  waiting.seen_bytes = available;
  std::string head(std::min(static_cast<size_t>(available), max_header_bytes_), '\0');
  const ssize_t n = ::recv(waiting.fd, head.data(), head.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n <= 0) return Verdict::kGone;
  head.resize(static_cast<size_t>(n));
  const size_t end = head.find("\r\n\r\n");
  if (end == std::string::npos) {
    return head.size() >= max_header_bytes_ || Clock::now() >= waiting.deadline ? Verdict::kRefuse
                                                                                : Verdict::kWait;
  }
  return privileged_(parse_head(head.substr(0, end + 2))) ? Verdict::kAdmit : Verdict::kRefuse;
}

void ConnectionTriage::run() {
  std::vector<Waiting> waiting;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (waiting.empty()) added_.wait(lock, [this] { return stop_ || !incoming_.empty(); });
      if (stop_) break;
      waiting.insert(waiting.end(), incoming_.begin(), incoming_.end());
      incoming_.clear();
    }
    while (waiting.size() > kMaxTriagedConnections) {
      refuse(waiting.front().fd);
      waiting.erase(waiting.begin());
    }
    std::vector<Waiting> still;
    for (Waiting& w : waiting) {
      switch (look_at(w)) {
        case Verdict::kWait:
          still.push_back(w);
          break;
        case Verdict::kAdmit:
          if (!admit_(w.fd)) refuse(w.fd);
          break;
        case Verdict::kRefuse:
          refuse(w.fd);
          break;
        case Verdict::kGone:
          ::close(w.fd);
          break;
      }
    }
    waiting.swap(still);
    // Bytes of a started request are looked for again shortly; a new
    // connection's first bytes wake the poll.
    if (!waiting.empty()) {
      std::vector<pollfd> fds;
      for (const Waiting& w : waiting) {
        if (w.seen_bytes == 0) fds.push_back({w.fd, POLLIN, 0});
      }
      ::poll(fds.data(), fds.size(), 10);
    }
  }
  for (const Waiting& w : waiting) refuse(w.fd);
  for (const Waiting& w : incoming_) refuse(w.fd);
}

}  // namespace resr
