// Builds the optimizer a trial config names: adamw | adamw_8bit | paged_adamw | paged_adamw_8bit.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "sweeps/trial_config.h"
#include "trainer/optim/optimizer.h"

namespace qlsweep::trainer {

// params: contiguous float tensors, all on `device`; those with requires_grad() get state (the
// rest are left out). adamw / paged_adamw: fp32 moments (AdamW); adamw_8bit / paged_adamw_8bit:
// 8-bit blockwise (AdamW8bit). paged_* on a CPU device keeps ordinary host tensors (host memory
// is where paging would put them).
// Throws std::invalid_argument for an unknown name, an out-of-range value (lr <= 0, betas
// outside [0, 1), eps <= 0, weight_decay < 0) or a parameter on another device.
std::unique_ptr<Optimizer> MakeOptimizer(const sweeps::OptimConfig& cfg,
                                         std::vector<torch::Tensor> params,
                                         const torch::Device& device);

}  // namespace qlsweep::trainer
