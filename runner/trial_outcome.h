// Turns a trial's event stream and exit status into the outcome recorded in the run index.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"

namespace qlsweep::runner {

// Accumulates what a trial reported, event by event.
class OutcomeBuilder {
 public:
  explicit OutcomeBuilder(std::string trial_id);
  // Takes one stdout line and returns its event kind ("step", ...); lines that are not JSON
  // events are kept as the last message and return "".
  std::string OnLine(const std::string& line);
  // The recorded outcome, given how the process ended. `timed_out` and `interrupted` win over
  // the exit status; otherwise done needs a `done` event and exit 0, oom an oom event or exit 3.
  storage::TrialOutcome Finish(int exit_code, int signal, bool timed_out, bool interrupted,
                               double wall_s) const;
  const nlohmann::json& last_step() const { return last_step_; }
  const nlohmann::json& started() const { return started_; }  // null until the event came
  int64_t total_steps() const { return total_steps_; }

 private:
  std::string id_;
  nlohmann::json last_step_, done_, oom_, error_, started_, base_eval_;
  std::string last_text_;
  int64_t total_steps_ = 0;
};

}  // namespace qlsweep::runner
