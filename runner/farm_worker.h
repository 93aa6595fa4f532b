// A worker rank of the MPI farm: runs the trials its coordinator assigns, one at a time, as its
// own child processes, and forwards their stdout lines, exit and log tail to rank 0.
#pragma once

#include <string>
#include <vector>

#include "runner/farm_channel.h"
#include "runner/farm_settings.h"

namespace qlsweep::runner {

struct WorkerOptions {
  std::string db_path;               // --db: the worker folder and adapters go beside it, here
  std::vector<std::string> devices;  // this node's GPUs, sent in the hello
  std::string self_exe;              // the qlsweep binary that runs `train`
  int local_rank = 0;                // the launcher's local rank (MpiSession)
  int local_workers = 1;             // ranks of the farm on this node that run trials
  FarmSettings settings;
};

// What ended a worker.
struct WorkerEnd {
  int exit_code = 0;     // 0: the coordinator's shutdown; 1: the coordinator went silent
  bool finalize = true;  // whether MPI_Finalize is safe (no peer is gone)
};

// Sends the hello, then serves: an assignment starts the trial (the same command as the plain
// coordinator's, runner/trial_command.h, without the launcher's variables and without --h5: the
// coordinator writes the series from the lines), a stop order sends it SIGTERM and SIGKILL 5 s
// later, and its stdout lines, exit and log tail go to rank 0 as they come. Heartbeats every
// heartbeat_s. Returns on the coordinator's shutdown (after its trial ended), or when rank 0 has
// not been heard from for lease_s (its trial is killed first).
WorkerEnd ServeTrials(FarmChannel& channel, const WorkerOptions& options);

}  // namespace qlsweep::runner
