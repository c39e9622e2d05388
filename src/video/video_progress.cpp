#include "video/video_progress.hpp"

#include <unistd.h>

#include <string>

namespace resr {

namespace {

constexpr std::chrono::seconds kLogInterval{5};

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  }
  return text;
}

}  // namespace

VideoProgress::VideoProgress(bool quiet, int64_t total)
    : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0), total_(total) {}

void VideoProgress::update(int64_t done, int64_t resumed) {
  last_done_ = done;
  last_resumed_ = resumed;
  if (quiet_) return;
  const auto now = Clock::now();
  if (!tty_ && now - last_print_ < kLogInterval) return;
  last_print_ = now;
  print(done, resumed);
}

void VideoProgress::print(int64_t done, int64_t resumed) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const int64_t computed = done - resumed;
  const double fps = elapsed > 0 ? static_cast<double>(computed) / elapsed : 0;
  std::string line = "frames " + std::to_string(done);
  if (total_ > 0) {
    line += "/" + std::to_string(total_);
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%.0f%%)", 100.0 * static_cast<double>(done) / total_);
    line += pct;
  }
  char speed[48];
  std::snprintf(speed, sizeof speed, "  %.2f fps", fps);
  line += speed;
  if (resumed > 0) line += "  " + std::to_string(resumed) + " resumed";
  if (total_ > 0 && fps > 0 && done < total_) {
    line += "  ETA " + clock_text(static_cast<double>(total_ - done) / fps);
  }
  std::fprintf(stderr, tty_ ? "\r\033[K%s" : "%s\n", line.c_str());
  std::fflush(stderr);
}

void VideoProgress::finish() {
  if (quiet_) return;
  print(last_done_, last_resumed_);
  if (tty_) std::fputc('\n', stderr);
}

}  // namespace resr
