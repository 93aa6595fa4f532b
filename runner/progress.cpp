// Progress rendering: one rewritten line on a terminal for a lone trial, throttled plain lines
// otherwise.
#include "runner/progress.h"

#include <unistd.h>
#include "runner/event_fields.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "runner/eta.h"

namespace qlsweep::runner {

Progress::Progress(int total_trials, bool quiet)
    : total_(total_trials), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::EndOpenLine() {
  if (open_line_) std::fputc('\n', stderr);
  open_line_ = false;
}

void Progress::TrialStarted(int position, const std::string& id, const std::string& name,
                            const std::string& where) {
  last_position_ = std::max(last_position_, position);
  Trial& trial = running_[position];
  most_running_ = std::max(most_running_, running_.size());
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
  if (found == running_.end()) return;
  Trial& trial = found->second;
  const auto now = Clock::now();
  namespace field = protocol::field;
  const auto step = static_cast<int64_t>(NumberOr(e, field::kStep, 0));
  const double this_step_s = NumberOr(e, protocol::result::kStepTimeS, 0.0);
  if (step == 1) trial.first_step_s = this_step_s;
  if (step >= 2) trial.steady_s += this_step_s, ++trial.steady_steps;
  if (quiet_) return;
  const bool last = total_steps > 0 && step >= total_steps;
  if (!last && now - trial.last_print < std::chrono::seconds(1)) return;
  trial.last_print = now;
  const double step_s = this_step_s;
  const double tokens = NumberOr(e, field::kTokens, 0.0);
  trial.left_s =
      TrialSecondsLeft(step, total_steps, trial.steady_s, trial.steady_steps, trial.first_step_s);
  const double left = trial.left_s;
  const bool rewrite = tty_ && running_.size() == 1;
  if (!rewrite) EndOpenLine();
  std::fprintf(stderr, "%s%s: step %lld/%lld loss %.4f  %.0f tok/s  %s left%s",
               rewrite ? "\r\033[K" : "", trial.label.c_str(), static_cast<long long>(step),
               static_cast<long long>(total_steps), NumberOr(e, field::kLoss),
               step_s > 0 ? tokens / static_cast<double>(step) / step_s : 0.0,
               DurationText(left).c_str(), rewrite ? "" : "\n");
  open_line_ = rewrite;
  std::fflush(stderr);
}

void Progress::Phase(int position, const nlohmann::json& e) {
  const auto found = running_.find(position);
  if (quiet_ || found == running_.end() || !e.is_object()) return;
  Trial& trial = found->second;
  const auto field = e.find(std::string(protocol::field::kPhase));
  if (field == e.end() || !field->is_string()) return;
  const std::string phase = field->get<std::string>();
  if (phase.empty() || phase == trial.phase) return;  // every rank of a sharded trial reports
  trial.phase = phase;
  std::string text;
  if (phase == protocol::phase::kLoad) {
    text = "loading the model";
  } else if (phase == protocol::phase::kEval) {
    const auto n = static_cast<int64_t>(NumberOr(e, protocol::field::kSequences, 0));
    text = "evaluating the base model (" + std::to_string(n) + " sequences)";
  } else {
    text = phase;
  }
  EndOpenLine();
  std::fprintf(stderr, "%s: %s\n", trial.label.c_str(), text.c_str());
}

void Progress::SweepLine() {
  const int to_go = total_ - last_position_ + static_cast<int>(running_.size());
  if (finished_ == 0 || to_go <= 0) return;
  const double mean = finished_s_ / finished_;
  std::vector<double> running_left;
  const auto now = Clock::now();
  for (const auto& [position, trial] : running_) {
    const double elapsed = std::chrono::duration<double>(now - trial.start).count();
    running_left.push_back(trial.left_s >= 0 ? trial.left_s : mean - elapsed);
  }
  const double left = SweepSecondsLeft(total_ - last_position_, mean, running_left,
                                       static_cast<int>(most_running_));
  std::fprintf(
      stderr,
      "sweep progress: %d of %d trial(s) finished, %d to go, about %s left (%s per trial)\n",
      last_position_ - static_cast<int>(running_.size()), total_, to_go, DurationText(left).c_str(),
      DurationText(mean).c_str());
}

void Progress::TrialFinished(int position, protocol::TrialStatus status, double wall_s,
                             const std::string& detail) {
  const auto found = running_.find(position);
  if (found == running_.end()) return;
  const std::string label = found->second.label;
  running_.erase(found);
  ++finished_;
  finished_s_ += wall_s;
  if (quiet_) return;
  if (open_line_ && tty_) {
    std::fputs("\r\033[K", stderr);  // replace the trial's step line with its outcome
    open_line_ = false;
  }
  EndOpenLine();
  const std::string text(protocol::ToString(status));
  std::fprintf(stderr, "%s: %s in %.1fs%s%s\n", label.c_str(), text.c_str(), wall_s,
               detail.empty() ? "" : ": ", detail.c_str());
  SweepLine();
}

void Progress::Note(const std::string& text) {
  if (quiet_) return;
  EndOpenLine();
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace qlsweep::runner
