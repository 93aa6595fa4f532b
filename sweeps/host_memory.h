// A CPU trial's memory limit (hardware.host_memory_mib), read from its resolved config.
#pragma once

#include <cstdint>

#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// hardware.host_memory_mib of the trial; 0 = no limit. (Read from `resolved`: the key is newer
// than TrialConfig's typed sections.)
inline int64_t HostMemoryMib(const TrialConfig& trial) {
  return trial.resolved.at("hardware").value("host_memory_mib", int64_t{0});
}

}  // namespace qlsweep::sweeps
