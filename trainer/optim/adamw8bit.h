// 8-bit blockwise AdamW (bitsandbytes AdamW8bit / PagedAdamW8bit): 8-bit moments, 256-blocks.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "trainer/optim/adamw8bit_update.h"
#include "trainer/optim/optimizer.h"

namespace qlsweep::trainer {

// Parameters of >= kAdam8bitMinElements elements get 8-bit states (m on the signed dynamic map,
// v on the unsigned one, one fp32 absmax per 256 elements: 2 bytes + 8/256 bytes per element);
// smaller ones keep fp32 moments (8 bytes per element). The formula is Adam8bitUpdateTorch's
// (trainer/optim/adamw8bit_update.h). CUDA parameters with 8-bit states use the fused kernel;
// everything else the torch-op path. With `paged`, the code buffers (and the fp32 moments) of
// parameters of >= kPagedMinElements elements on a CUDA device live in managed memory and are
// prefetched to the device before their update; the absmax buffers stay ordinary device memory.
class AdamW8bit : public Optimizer {
 public:
  AdamW8bit(std::vector<torch::Tensor> params, const AdamHyper& hyper, bool paged);

  void Step(double lr) override;
  void ZeroGrad() override;
  int64_t StateBytes() const override;
  int64_t ManagedBytes() const override;

  const Adam8bitState& state(size_t i) const { return states_[i]; }

 private:
  std::vector<torch::Tensor> params_;
  std::vector<Adam8bitState> states_;
  std::vector<std::vector<torch::Tensor>> managed_by_param_;  // state buffers in managed memory
  std::vector<Adam8bitMaps> maps_;  // per parameter: shared by parameters of one device
  AdamHyper hyper_;
};

}  // namespace qlsweep::trainer
