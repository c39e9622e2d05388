// Kept-alive connections waiting for their client's next request. When every
// connection slot is taken, the one idle longest is closed to make room: an
// idle client loses nothing (it reconnects), a new client would lose its
// request.
#pragma once

#include <list>
#include <mutex>

namespace resr {

class IdleConnections {
 public:
  // The connection on `fd` waits for its next request from now on.
  void enter(int fd);
  // It has its next request; false when it was closed meanwhile to make
  // room (it must then end).
  bool leave(int fd);
  // Ends the reads of the connection idle longest (its thread then closes
  // it); false when none is idle.
  bool evict_oldest();

 private:
  std::mutex mutex_;
  std::list<int> idle_;  // oldest first
};

}  // namespace resr
