// Exit codes of a trial process (`qlsweep train`); the coordinator maps them to TrialStatus.
#pragma once

namespace qlsweep::protocol {

enum TrialExit : int {
  kExitDone = 0,
  kExitFailed = 1,  // any error other than below (an error event says why)
  kExitConfig = 2,  // the trial config is invalid or asks for what this build cannot do
  kExitOom = 3,     // out of (emulated) GPU memory; the oom event names the phase
};

}  // namespace qlsweep::protocol
