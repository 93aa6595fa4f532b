// Progress rendering: one rewritten line on a terminal, throttled plain lines otherwise.
#include "runner/progress.h"

#include <unistd.h>

#include <cstdio>

namespace qlsweep::runner {

Progress::Progress(int total_trials, bool quiet)
    : total_(total_trials), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::TrialStarted(int index, const std::string& id, const std::string& name) {
  index_ = index;
  label_ = "[" + std::to_string(index) + "/" + std::to_string(total_) + "] " + id + " " + name;
  trial_start_ = last_print_ = Clock::now();
  if (!quiet_) std::fprintf(stderr, "%s: starting\n", label_.c_str());
}

void Progress::Step(const nlohmann::json& e, int64_t total_steps) {
  if (quiet_) return;
  const auto now = Clock::now();
  const int64_t step = e.value("step", int64_t{0});
  const bool last = total_steps > 0 && step >= total_steps;
  if (!last && now - last_print_ < std::chrono::seconds(1)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - trial_start_).count();
  const double step_s = e.value("step_time_s", 0.0);
  const double tokens = e.value("tokens", 0.0);
  const double left = total_steps > step && step > 0
                          ? elapsed / static_cast<double>(step) * static_cast<double>(total_steps - step)
                          : 0.0;
  std::fprintf(stderr, "%s%s: step %lld/%lld loss %.4f  %.0f tok/s  %.0fs left%s",
               tty_ ? "\r\033[K" : "", label_.c_str(), static_cast<long long>(step),
               static_cast<long long>(total_steps), e.value("loss", 0.0),
               step_s > 0 ? tokens / static_cast<double>(step) / step_s : 0.0, left,
               tty_ ? "" : "\n");
  std::fflush(stderr);
}

void Progress::TrialFinished(const std::string& status, double wall_s, const std::string& detail) {
  if (quiet_) return;
  std::fprintf(stderr, "%s%s: %s in %.1fs%s%s\n", tty_ ? "\r\033[K" : "", label_.c_str(),
               status.c_str(), wall_s, detail.empty() ? "" : ": ", detail.c_str());
}

void Progress::Note(const std::string& text) const {
  if (!quiet_) std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace qlsweep::runner
