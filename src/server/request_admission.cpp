#include "server/request_admission.hpp"

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
  std::binary_semaphore granted(0);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_ > 0 && waiting_.empty()) {
      --free_;
      return;
    }
    waiting_.push_back(&granted);
  }
  granted.acquire();  // leave() handed its slot to this thread
}

void RequestAdmission::leave() {
  std::binary_semaphore* next = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (waiting_.empty()) {
      ++free_;
    } else {
      next = waiting_.front();
      waiting_.pop_front();
    }
  }
  if (next != nullptr) next->release();
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
