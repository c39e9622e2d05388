#include "server/http/idle_connections.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace resr {

void IdleConnections::enter(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(fd);
}

bool IdleConnections::leave(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = std::find(idle_.begin(), idle_.end(), fd);
  if (found == idle_.end()) return false;
  idle_.erase(found);
  return true;
}

bool IdleConnections::evict_oldest() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.empty()) return false;
  // Under the lock: the owner cannot leave (and close the descriptor) meanwhile.
  // The shutdown wakes its poll at once; the socket is closed by its thread.
  ::shutdown(idle_.front(), SHUT_RDWR);
  idle_.pop_front();
  return true;
}

}  // namespace resr
