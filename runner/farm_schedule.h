// The MPI farm's scheduling, without MPI: its workers and their GPUs, the order of the queue
// (longest predicted trials first) and the placement of each trial on idle workers of one host
// (a trial with hardware.gpus k takes k workers of one node: docs/farm.md).
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "runner/farm_messages.h"
#include "sweeps/trial_config.h"

namespace qlsweep::runner {

enum class WorkerState {
  kIdle,
  kBusy,  // runs a trial, or idles in the group of a sharded trial another worker launched
  kLost,  // no word from it for a lease: never given work again
};

struct FarmWorker {
  int rank = 0;
  std::string host;
  int pid = 0;
  int local_rank = 0;
  std::string gpu;    // its CUDA_VISIBLE_DEVICES entry; "" = none of its own (CPU, or inherited)
  int cpus = 0;       // CPUs its affinity allows
  int node_cpus = 0;  // CPUs online on its host
  WorkerState state = WorkerState::kIdle;
};

// The workers of the hellos (hellos[i] from rank i + 1), each with its GPU: the workers of a host
// in local-rank order take the entries of their own device list in turn (the first worker entry
// 0, ...; wrapping around, so more workers than GPUs share them); an empty list gives "".
std::vector<FarmWorker> FarmWorkers(const std::vector<WorkerHello>& hellos);

// The queue in the order the farm starts trials: the most predicted work per rank first
// (runner/trial_prediction.h PredictedWork), then the larger predicted peak memory; equal
// trials keep their planning order.
std::deque<const sweeps::TrialConfig*> LongestFirst(
    const std::deque<const sweeps::TrialConfig*>& pending);

// How many workers a trial of hardware.gpus `gpus` takes: `gpus`; when no worker has a GPU of its
// own (a CPU farm) at most the largest host's worker count, as the plain coordinator runs such a
// trial's ranks in its one slot.
int WorkersNeeded(int gpus, const std::vector<FarmWorker>& workers);

// The most workers not lost on one host.
int LargestHost(const std::vector<FarmWorker>& workers);

// Where a trial starts: the queue position and the workers it takes (the first launches it).
struct Placement {
  size_t queue_index = 0;
  std::vector<size_t> workers;  // indices into the worker list, all on one host
};

// One scheduling pass over the queue, `needs[i]` workers for its trial i (WorkersNeeded), in
// queue order. A trial starts on `needs[i]` idle workers of one host: the host with the fewest
// idle workers that has enough (best fit keeps wide holes for sharded trials), ties to the lower
// rank. A sharded trial that does not fit holds the idle workers of the host where it will fit
// soonest (most idle workers among the hosts large enough), so later single-GPU trials cannot
// starve it; they still fill the other hosts. Trials needing more workers than any host has are
// skipped (the caller fails them).
std::vector<Placement> SchedulePass(const std::vector<FarmWorker>& workers,
                                    const std::vector<int>& needs);

}  // namespace qlsweep::runner
