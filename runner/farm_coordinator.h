// Rank 0 of the MPI farm: RunSweep's executor. It hands trials to worker ranks, records every
// attempt from their forwarded lines (run index, progress, series file: it is the only writer),
// renews their leases from heartbeats and re-queues the trial of a worker gone silent.
#pragma once

#include <deque>
#include <vector>

#include "runner/coordinator.h"
#include "runner/farm_channel.h"
#include "runner/farm_settings.h"

namespace qlsweep::runner {

class FarmCoordinator : public TrialExecutor {
 public:
  // `options`: the trial time limit and --save-adapters; its `gpus` are the workers' business.
  FarmCoordinator(FarmChannel& channel, const FarmSettings& settings, const RunOptions& options);

  // Waits for every worker's hello, then runs `pending` longest first (docs/farm.md), until each
  // has an outcome or StopRequested() (running trials are then recorded killed at once and their
  // workers told to stop them). Ends by telling the workers to shut down.
  void Run(std::deque<const sweeps::TrialConfig*> pending, int first_position,
           SweepRecords& records) override;

  // Tells the workers to shut down if Run has not (an early error); idempotent.
  void Shutdown();
  // Whether a worker was lost: MPI_Finalize would then wait for it forever.
  bool lost_workers() const { return lost_workers_; }

 private:
  FarmChannel& channel_;
  FarmSettings settings_;
  RunOptions options_;
  std::vector<bool> lost_;  // per worker (rank r at r - 1)
  bool lost_workers_ = false;
  bool shut_down_ = false;
};

}  // namespace qlsweep::runner
