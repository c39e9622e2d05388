// At most `slots` requests use the CPU at once, admitted in arrival order.
//
// A thread per connection lets the scheduler pick among as many runnable
// request threads as there are clients, so under load some requests wait
// far longer than others, and they contend for the same locks. Admission
// makes that queue explicit and first come, first served. A request gives
// its slot up while it waits (for the network, a task, a URL) and takes a
// slot again, at the back of the queue, when it can go on.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

namespace resr {

class RequestAdmission {
 public:
  explicit RequestAdmission(int slots) : free_(slots) {}

  // Requests waiting for a slot now.
  int queued() const;

  // Holds a slot for this thread for the guard's lifetime.
  class Admitted {
   public:
    explicit Admitted(RequestAdmission& admission);
    ~Admitted();
    Admitted(const Admitted&) = delete;
    Admitted& operator=(const Admitted&) = delete;
  };

  // Gives up the calling thread's slot, if it holds one, for the guard's
  // lifetime: around anything that waits rather than computes.
  class Waiting {
   public:
    Waiting();
    ~Waiting();
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    RequestAdmission* paused_;
  };

 private:
  // A thread waiting for a slot; it lives on that thread's stack.
  struct Waiter {
    std::condition_variable handed;
    bool slot = false;  // guarded by mutex_
  };

  void enter();
  void leave();

  mutable std::mutex mutex_;
  int free_;                     // guarded by mutex_
  std::deque<Waiter*> waiting_;  // guarded by mutex_; first come first
};

}  // namespace resr
