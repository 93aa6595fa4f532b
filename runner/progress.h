// Progress lines on stderr: trial k of N, step, loss, tokens/s and time left, for each running
// trial.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/trial_status.h"

namespace qlsweep::runner {

// Every line names its trial ("[k/N] id name"), so lines of trials running at once interleave
// readably. On a terminal with one trial running, its step line is rewritten in place.
class Progress {
 public:
  Progress(int total_trials, bool quiet);
  // `position` is k of "k of N" and identifies the trial in the calls below. `where` ("gpu 1",
  // "rank 2 (node1), gpu 1"; "" for nothing) follows "starting on".
  void TrialStarted(int position, const std::string& id, const std::string& name,
                    const std::string& where);
  // A `step` event of a running trial; printed at most once a second per trial (always the last).
  void Step(int position, const nlohmann::json& step_event, int64_t total_steps);
  void TrialFinished(int position, protocol::TrialStatus status, double wall_s,
                     const std::string& detail);
  void Note(const std::string& text);

 private:
  using Clock = std::chrono::steady_clock;
  struct Trial {
    std::string label;
    Clock::time_point start, last_print;
  };
  void EndOpenLine();  // terminates a step line left open for rewriting
  int total_;
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  std::map<int, Trial> running_;
};

}  // namespace qlsweep::runner
