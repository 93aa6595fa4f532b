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
  // Held-out rows [first, first + count) ([count, T]): row i is the same whatever the batching, so
  // every trial of a sweep evaluates the same sequences. first + count <= EvalRows().
  virtual Batch Eval(int64_t first, int64_t count) = 0;
  // How many distinct held-out rows there are (unbounded sources return INT64_MAX).
  virtual int64_t EvalRows() const = 0;
};

}  // namespace qlsweep::trainer
