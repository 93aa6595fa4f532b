// Progress lines on stderr: trial k of N, step, loss, tokens/s and time left.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace qlsweep::runner {

class Progress {
 public:
  Progress(int total_trials, bool quiet);
  void TrialStarted(int index, const std::string& id, const std::string& name);
  // A `step` event of the running trial; printed at most once a second (always the last step).
  void Step(const nlohmann::json& step_event, int64_t total_steps);
  void TrialFinished(const std::string& status, double wall_s, const std::string& detail);
  void Note(const std::string& text) const;

 private:
  using Clock = std::chrono::steady_clock;
  int total_;
  bool quiet_;
  bool tty_;
  int index_ = 0;
  std::string label_;
  Clock::time_point trial_start_, last_print_;
};

}  // namespace qlsweep::runner
