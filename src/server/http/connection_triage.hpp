// Connections that arrive while every connection slot is taken, as when slow
// clients hold them all. Each is given a moment (kTriageMilliseconds) for its
// request headers, which are looked at without being read: a probe (/livez,
// /readyz) or a request carrying the API token is let in over the limit, into
// a small reserve; anything else gets 503. One thread polls all of them, so
// a flood of silent sockets cannot make a probe wait behind it.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace resr {

inline constexpr int kTriageMilliseconds = 1000;
// Connections waiting for triage at once; past it the oldest is refused.
inline constexpr size_t kMaxTriagedConnections = 128;

class ConnectionTriage {
 public:
  // `privileged`: may this request use the reserve? `admit`: serves the
  // connection from the reserve, false when the reserve is full.
  ConnectionTriage(size_t max_header_bytes, std::function<bool(const httplib::Request&)> privileged,
                   std::function<bool(int fd)> admit);
  ~ConnectionTriage();  // refuses what is still waiting
  ConnectionTriage(const ConnectionTriage&) = delete;
  ConnectionTriage& operator=(const ConnectionTriage&) = delete;

  // Takes the connection over: it is admitted, refused or closed.
  void add(int fd);

 private:
  struct Waiting {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    int seen_bytes = 0;  // what the last look found in the receive queue
  };
  enum class Verdict { kWait, kAdmit, kRefuse, kGone };

  void run();
  Verdict look_at(Waiting& waiting) const;

  const size_t max_header_bytes_;
  const std::function<bool(const httplib::Request&)> privileged_;
  const std::function<bool(int)> admit_;
  std::mutex mutex_;
  std::condition_variable added_;
  std::vector<Waiting> incoming_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace resr
