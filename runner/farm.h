// The MPI farm's entry: `mpirun -np N qlsweep run SWEEP.yaml` (or srun) makes rank 0 the
// coordinator, the only writer of the run index and the series files, and the other ranks its
// workers, one per GPU (docs/farm.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runner/coordinator.h"

namespace qlsweep::runner {

class FarmMember {
 public:
  // Joins the MPI job when a launcher started this process as a rank (runner/launcher_env.h):
  // initialises MPI and, with several ranks, the farm. nullptr for a plain process. Throws
  // std::runtime_error for a launched process of a build without MPI, and std::invalid_argument
  // for a bad QLSWEEP_FARM_* variable.
  static std::unique_ptr<FarmMember> Join();
  // Rank 0: tells the workers to shut down unless that was done; MPI_Finalize unless a peer may
  // be gone (it would wait for it forever).
  virtual ~FarmMember() = default;

  // Rank 0, or the only rank of a job of one (which runs trials itself, as without mpirun).
  virtual bool coordinator() const = 0;
  // Rank 0 of a farm: the executor for RunOptions::executor, valid while this member lives.
  // nullptr for a job of one rank.
  virtual TrialExecutor* Executor(const RunOptions& options) = 0;
  // A worker rank: serves trials until the coordinator shuts it down; returns the exit code.
  // `devices`: this node's GPUs (--gpus, else CUDA_VISIBLE_DEVICES, else the /dev/nvidiaN
  // devices; none on a CPU node).
  virtual int ServeTrials(const std::string& db_path, const std::vector<std::string>& devices) = 0;
};

// This node's GPUs for a worker: the `slots` of runner/gpu_slots.h TrialSlots when they name
// devices, else "0".."n-1" for the /dev/nvidia<N> device files there are (none: empty).
std::vector<std::string> NodeDevices(const std::vector<std::string>& slots);

}  // namespace qlsweep::runner
