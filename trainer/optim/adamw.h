// AdamW with fp32 moments and decoupled weight decay: the reference optimizer (torch's formula).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "trainer/optim/optimizer.h"

namespace qlsweep::trainer {

// Per parameter p (any float dtype, contiguous), with fp32 moments m, v of p's shape and its own
// step count t, exactly the operations of torch::optim::AdamW (amsgrad off):
//   p *= 1 - lr*wd;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
//   p -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
// bf16/fp16 parameters are updated in fp32 and rounded once. With `paged`, the moments of
// parameters of >= kPagedMinElements elements on a CUDA device live in managed memory and are
// prefetched to the device before their update.
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<torch::Tensor> params, const AdamHyper& hyper, bool paged);

  void Step(double lr) override;
  void ZeroGrad() override;
  int64_t StateBytes() const override;
  int64_t ManagedBytes() const override;

  // Moments of parameter i: [numel] float32 each.
  const torch::Tensor& m(size_t i) const { return states_[i].m; }
  const torch::Tensor& v(size_t i) const { return states_[i].v; }

 private:
  struct State {
    torch::Tensor m, v;  // [numel] float32
    bool managed = false;
    int64_t step = 0;
  };
  std::vector<torch::Tensor> params_;
  std::vector<State> states_;
  AdamHyper hyper_;
};

}  // namespace qlsweep::trainer
