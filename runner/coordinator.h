// The coordinator: plans a sweep into the run index, runs each pending trial as a child process,
// and records every outcome. It never touches CUDA and is the only writer of the SQLite file.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "protocol/trial_status.h"
#include "sweeps/load.h"

namespace qlsweep::runner {

struct SweepRecords;
class TrialExecutor;

struct RunOptions {
  std::string db_path = "runs/runs.db";
  std::string self_exe;        // the qlsweep binary that runs `train` (default /proc/self/exe)
  bool retry_failed = false;   // re-run trials recorded as failed, oom or timeout
  double trial_timeout_s = 0;  // 0 = no limit
  bool quiet = false;          // no progress lines
  bool save_adapters = false;  // each trial saves its adapter to <db dir>/adapters/<id>/
  // One trial runs per entry at once, with CUDA_VISIBLE_DEVICES set to it ("" = left as
  // inherited). Empty = a single slot "" (runner/gpu_slots.h computes the CLI default).
  std::vector<std::string> gpus;
  // Runs the pending trials instead of this process's GPU slots (an MPI farm's coordinator,
  // runner/farm_coordinator.h); null: here. `gpus` is then the executor's business.
  TrialExecutor* executor = nullptr;
};

struct RunSummary {
  int planned = 0;  // trials in the sweep
  int skipped = 0;  // already recorded and not re-run
  int ran = 0;
  int done = 0, oom = 0, failed = 0, killed = 0, timeout = 0;
  bool interrupted = false;  // stopped by SIGINT/SIGTERM
  // A fit search (sweeps/fit_search.h): why it stopped before finding the boundary ("" when it
  // found it or was interrupted).
  std::string fit_stopped;

  // Adds one trial that ended with `status` to its count.
  void Count(protocol::TrialStatus status);
};

// Runs the trials RunSweep planned and records each attempt (runner/trial_attempt.h). Returns
// when every trial has an outcome, or when StopRequested() and the running ones are recorded.
class TrialExecutor {
 public:
  virtual ~TrialExecutor() = default;
  // `pending`: the trials to run, in planning order; positions ("k of N") continue after
  // `first_position`.
  virtual void Run(std::deque<const sweeps::TrialConfig*> pending, int first_position,
                   SweepRecords& records) = 0;
};

// Whether SIGINT or SIGTERM asked the running sweep to stop.
bool StopRequested();

// A fit search (`search: {kind: fit}`) runs its probes one after another instead, each chosen by
// bisection over sweep.trials from the outcomes so far (done: fits; oom: does not); a probe
// already recorded is reused, not re-run, so a re-run continues where the last one stopped. A
// probe that ends otherwise (failed, killed, timeout) stops the search (summary.fit_stopped).
// Runs every pending trial of `sweep`, up to one per GPU slot at once, from one thread: a poll()
// loop over the running trials' stdout. SIGINT/SIGTERM stop it: running trials get SIGTERM
// (SIGKILL 5 s later) and are recorded killed, and no further trial starts. Series files go to <db
// dir>/series/<id>.h5, trial configs to <db dir>/trials/<id>.json and trial logs to <db
// dir>/logs/<id>.log. One coordinator per database: it holds <db>.lock (runner/run_lock.h) for the
// whole sweep and throws RunLockBusy, having touched nothing, while another holds it.
RunSummary RunSweep(const sweeps::ExpandedSweep& sweep, const RunOptions& options);

}  // namespace qlsweep::runner
