// The trainer's reporting interface: events as JSON objects (protocol/events.h names them).
#pragma once

#include <nlohmann/json.hpp>

#include "protocol/exit_codes.h"

namespace qlsweep::trainer {

// Receives the trial's events in order: started, step, eval, oom, done, error (docs/events.md).
// Implementations decide where they go (stdout JSON lines, an HDF5 file, a test vector).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const nlohmann::json& event) = 0;
};

// The exit codes of a trial process are the protocol's (protocol/exit_codes.h).
using protocol::kExitConfig;
using protocol::kExitDone;
using protocol::kExitFailed;
using protocol::kExitOom;

}  // namespace qlsweep::trainer
