// DistContext: this process's place in a sharded trial (rank, size, local rank, ZeRO stage) and
// the communicators it uses: MPI for host values, NCCL (or MPI on CPU) for tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "sweeps/trial_config.h"
#include "trainer/dist/communicator.h"

namespace qlsweep::trainer {

struct DistContext {
  int rank = 0, size = 1, local_rank = 0;
  int zero_stage = 0;
  std::unique_ptr<dist::Communicator> host;    // MPI over host memory
  std::unique_ptr<dist::Communicator> device;  // NCCL for CUDA tensors; null on CPU
  dist::Communicator& Tensors() { return device ? *device : *host; }
};

// Joins the MPI job this trial process was started in (`mpirun -np <hardware.gpus>`). Throws
// std::invalid_argument when the process was not started by an MPI launcher or the job's size
// is not hardware.gpus.
std::unique_ptr<DistContext> JoinDistributed(const sweeps::TrialConfig& cfg);

// The CUDA device of this rank (local rank modulo the visible devices), made current.
torch::Device RankDevice(const DistContext& ctx);

// Connects the tensor communicator for `device`: NCCL for a CUDA device (its unique id broadcast
// over MPI); on a CPU the host communicator serves tensors too.
void ConnectTensors(DistContext& ctx, const torch::Device& device);

// Every rank's `value`, in rank order (over the host communicator).
std::vector<int64_t> GatherInt64(DistContext& ctx, int64_t value);

// Ends the whole MPI job with exit status `code` (MPI_Abort): a rank that failed must not leave
// its peers waiting in a collective, and MPI_Finalize would wait for them.
[[noreturn]] void AbortJob(int code);

}  // namespace qlsweep::trainer
