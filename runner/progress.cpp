// Progress rendering: one rewritten line on a terminal for a lone trial, throttled plain lines
// otherwise.
#include "runner/progress.h"

#include <unistd.h>
#include "runner/event_fields.h"

#include <cstdio>

#include "protocol/events.h"
#include "protocol/result_keys.h"

namespace qlsweep::runner {

Progress::Progress(int total_trials, bool quiet)
    : total_(total_trials), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::EndOpenLine() {
  if (open_line_) std::fputc('\n', stderr);
  open_line_ = false;
}

void Progress::TrialStarted(int position, const std::string& id, const std::string& name,
                            const std::string& where) {
  Trial& trial = running_[position];
  trial.label =
      "[" + std::to_string(position) + "/" + std::to_string(total_) + "] " + id + " " + name;
  trial.start = trial.last_print = Clock::now();
  if (quiet_) return;
  EndOpenLine();
  std::fprintf(stderr, "%s: starting%s%s\n", trial.label.c_str(), where.empty() ? "" : " on ",
               where.c_str());
}

void Progress::Step(int position, const nlohmann::json& e, int64_t total_steps) {
  const auto found = running_.find(position);
  if (quiet_ || found == running_.end()) return;
  Trial& trial = found->second;
  const auto now = Clock::now();
  namespace field = protocol::field;
  const auto step = static_cast<int64_t>(NumberOr(e, field::kStep, 0));
  const bool last = total_steps > 0 && step >= total_steps;
  if (!last && now - trial.last_print < std::chrono::seconds(1)) return;
  trial.last_print = now;
  const double elapsed = std::chrono::duration<double>(now - trial.start).count();
  const double step_s = NumberOr(e, protocol::result::kStepTimeS, 0.0);
  const double tokens = NumberOr(e, field::kTokens, 0.0);
  const double left = total_steps > step && step > 0 ? elapsed / static_cast<double>(step) *
                                                           static_cast<double>(total_steps - step)
                                                     : 0.0;
  const bool rewrite = tty_ && running_.size() == 1;
  if (!rewrite) EndOpenLine();
  std::fprintf(stderr, "%s%s: step %lld/%lld loss %.4f  %.0f tok/s  %.0fs left%s",
               rewrite ? "\r\033[K" : "", trial.label.c_str(), static_cast<long long>(step),
               static_cast<long long>(total_steps), NumberOr(e, field::kLoss),
               step_s > 0 ? tokens / static_cast<double>(step) / step_s : 0.0, left,
               rewrite ? "" : "\n");
  open_line_ = rewrite;
  std::fflush(stderr);
}

void Progress::TrialFinished(int position, protocol::TrialStatus status, double wall_s,
                             const std::string& detail) {
  const auto found = running_.find(position);
  if (found == running_.end()) return;
  const std::string label = found->second.label;
  running_.erase(found);
  if (quiet_) return;
  if (open_line_ && tty_) {
    std::fputs("\r\033[K", stderr);  // replace the trial's step line with its outcome
    open_line_ = false;
  }
  EndOpenLine();
  const std::string text(protocol::ToString(status));
  std::fprintf(stderr, "%s: %s in %.1fs%s%s\n", label.c_str(), text.c_str(), wall_s,
               detail.empty() ? "" : ": ", detail.c_str());
}

void Progress::Note(const std::string& text) {
  if (quiet_) return;
  EndOpenLine();
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace qlsweep::runner
