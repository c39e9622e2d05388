#include "interrupts.hpp"

#include <unistd.h>

#include <csignal>

namespace resr {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  if (g_interrupted.exchange(true)) _exit(130);  // the second signal
}

}  // namespace

const std::atomic<bool>* stop_on_interrupt() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  return &g_interrupted;
}

bool interrupted() { return g_interrupted.load(); }

}  // namespace resr
