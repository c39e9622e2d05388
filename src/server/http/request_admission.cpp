#include "server/http/request_admission.hpp"

namespace resr {

namespace {

// The admission whose slot this thread holds, if any.
thread_local RequestAdmission* t_admitted_by = nullptr;

}  // namespace

int RequestAdmission::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(waiting_.size());
}

void RequestAdmission::enter() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (free_ > 0 && waiting_.empty()) {
    --free_;
    return;
  }
  Waiter self;
  waiting_.push_back(&self);
  self.handed.wait(lock, [&self] { return self.slot; });
}

void RequestAdmission::leave() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (waiting_.empty()) {
    ++free_;
    return;
  }
  Waiter* next = waiting_.front();
  waiting_.pop_front();
  next->slot = true;
  // Under the lock: `next` cannot return, and end its Waiter, before this does.
  next->handed.notify_one();
}

RequestAdmission::Admitted::Admitted(RequestAdmission& admission) {
  admission.enter();
  t_admitted_by = &admission;
}

RequestAdmission::Admitted::~Admitted() {
  RequestAdmission* admission = t_admitted_by;
  t_admitted_by = nullptr;
  if (admission != nullptr) admission->leave();
}

RequestAdmission::Waiting::Waiting() : paused_(t_admitted_by) {
  if (paused_ == nullptr) return;
  t_admitted_by = nullptr;
  paused_->leave();
}

RequestAdmission::Waiting::~Waiting() {
  if (paused_ == nullptr) return;
  paused_->enter();
  t_admitted_by = paused_;
}

}  // namespace resr
