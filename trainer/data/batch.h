// A micro-batch of token ids with next-token labels, and the interface every data source
// implements.
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

struct Batch {
  torch::Tensor tokens;  // [B, T] int64
  torch::Tensor labels;  // [B, T] int64: tokens shifted left by one; -100 = not in the loss
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  // The next training micro-batch (cycles through the training split deterministically).
  virtual Batch NextTrain() = 0;
  // Evaluation micro-batch `index` of the held-out split (the same batch for the same index).
  virtual Batch Eval(int64_t index) = 0;
};

}  // namespace qlsweep::trainer
