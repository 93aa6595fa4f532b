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
  // Its time left counts steps 2..N (runner/eta.h).
  void Step(int position, const nlohmann::json& step_event, int64_t total_steps);
  // A `progress` event: "loading the model", "evaluating the base model (8 sequences)"; printed
  // once per phase of a trial.
  void Phase(int position, const nlohmann::json& progress_event);
  // Ends the trial's lines with its outcome, then (while trials remain) a sweep line: finished of
  // N and the time left of the sweep from the mean time of the trials finished so far.
  void TrialFinished(int position, protocol::TrialStatus status, double wall_s,
                     const std::string& detail);
  void Note(const std::string& text);

 private:
  using Clock = std::chrono::steady_clock;
  struct Trial {
    std::string label;
    Clock::time_point start, last_print;
    std::string phase;        // the last progress phase printed
    double first_step_s = 0;  // step 1's time
    double steady_s = 0;      // steps 2..: their times and count
    int64_t steady_steps = 0;
    double left_s = -1;  // its last time-left estimate; -1 before a step
  };
  void EndOpenLine();  // terminates a step line left open for rewriting
  void SweepLine();    // finished of N, time left of the sweep
  int total_;
  int finished_ = 0;         // trials finished in this run
  double finished_s_ = 0;    // their wall time
  int last_position_ = 0;    // the highest position started: later ones have not started
  size_t most_running_ = 1;  // the most trials seen running at once (the slots in use)
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  std::map<int, Trial> running_;
};

}  // namespace qlsweep::runner
