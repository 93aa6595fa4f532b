// The MPI farm's timing and places, from the environment (docs/farm.md).
#pragma once

#include <string>

namespace qlsweep::runner {

struct FarmSettings {
  double heartbeat_s = 5;  // QLSWEEP_FARM_HEARTBEAT_S: worker heartbeats, coordinator pings
  double lease_s = 60;     // QLSWEEP_FARM_LEASE_S: silence after which a peer counts as gone
  std::string workdir;     // QLSWEEP_FARM_WORKDIR: a worker's trial files and logs ("" = default)
};

// Reads the QLSWEEP_FARM_* variables (`get` is std::getenv or a test's stand-in). Throws
// std::invalid_argument naming the variable for a value that is not a positive number, or a
// lease not longer than two heartbeats.
FarmSettings FarmSettingsFromEnvironment(const char* (*get)(const char*));

// A worker's own folder: QLSWEEP_FARM_WORKDIR when set, else <db dir>/workers/<host>-rank<rank>
// (on the worker's host; distinct per rank, so a shared filesystem does no harm either).
std::string WorkerDirectory(const FarmSettings& settings, const std::string& db_path,
                            const std::string& host, int rank);

}  // namespace qlsweep::runner
