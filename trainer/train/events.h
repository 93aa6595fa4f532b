// The trainer's reporting interface (events as JSON objects) and the exit codes of a trial process.
#pragma once

#include <nlohmann/json.hpp>

namespace qlsweep::trainer {

// Receives the trial's events in order: started, step, eval, oom, done, error (docs/events.md).
// Implementations decide where they go (stdout JSON lines, an HDF5 file, a test vector).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const nlohmann::json& event) = 0;
};

// Exit status of `qlsweep train`; the coordinator maps them to trial statuses.
enum ExitCode : int {
  kExitDone = 0,
  kExitFailed = 1,  // any error other than below
  kExitConfig = 2,  // the trial config is invalid (nothing ran)
  kExitOom = 3,     // out of (emulated) GPU memory; the oom event names the phase
};

}  // namespace qlsweep::trainer
