// DataParallel: gradient synchronisation, global-norm clipping and the optimizer step of a trial
// over several ranks (ZeRO stages 0-2) on one flat, padded buffer of the trainable parameters.
#pragma once

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "sweeps/trial_config.h"
#include "trainer/dist/communicator.h"
#include "trainer/optim/optimizer.h"

namespace qlsweep::trainer {

// The trainable parameters live in one flat buffer [padded] (each parameter a view into it), the
// buffer split into Size() equal partitions whose length is a multiple of kPartitionAlign, so an
// 8-bit optimizer's 256-element blocks never straddle two ranks. The optimizer runs over the
// whole buffer (stage 0) or over this rank's partition only (stages 1-2: its states are 1/N):
//   stage 0: gradients all-reduced, every rank updates every parameter;
//   stage 1: gradients all-reduced, each rank updates its partition, parameters all-gathered;
//   stage 2: gradients reduce-scattered into the partitions (each rank keeps 1/N of the summed
//            gradient), each rank updates its partition, parameters all-gathered.
// Stage 3 uses stage 2's path for the adapters (the frozen base is sharded elsewhere).
class DataParallel {
 public:
  static constexpr int64_t kPartitionAlign = 256;

  // params: the trainable parameters (same order, shapes and values on every rank), on the
  // communicator's memory; they are re-pointed into the flat buffer, which is then broadcast
  // from rank 0 so every rank starts from the same adapters.
  DataParallel(std::vector<torch::Tensor> params, int zero_stage, const sweeps::OptimConfig& optim,
               dist::Communicator& comm, const torch::Device& device);

  // After the micro-batches' backward passes: sums the gradients over ranks, clips them to
  // `max_norm` (0: no clipping) by the global norm, steps the optimizer at `lr`, makes every
  // rank's parameters equal again and drops the gradients. Returns the global norm before
  // clipping.
  double Step(double lr, double max_norm);

  int64_t padded_numel() const { return flat_.numel(); }
  int64_t partition_numel() const { return flat_.numel() / comm_.Size(); }
  int64_t OptimizerStateBytes() const { return optimizer_->StateBytes(); }

 private:
  torch::Tensor FlatGrad() const;  // [padded]: the parameters' gradients, zeros for padding

  std::vector<torch::Tensor> params_;
  int stage_;
  dist::Communicator& comm_;
  torch::Tensor flat_;   // [padded]
  torch::Tensor owned_;  // the optimizer's parameter: flat_ (stage 0) or this rank's partition
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace qlsweep::trainer
