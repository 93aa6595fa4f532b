// Synthetic token data for shape-only trials: a seeded, learnable bigram process over the
// vocabulary.
#pragma once

#include "trainer/data/batch.h"

namespace qlsweep::trainer {

// Each sequence follows a fixed random permutation of the vocabulary (token t+1 = perm[token t])
// with probability 0.9 and jumps to a uniformly random token otherwise, so a model can learn it
// and the loss falls from ln(V). Every row is drawn from its own seed (train row k, eval row i,
// disjoint), so the row stream is the same whatever the micro-batch: micro_batch 2 x accumulation 1
// trains on the same rows as 1 x 2.
class SyntheticSource : public DataSource {
 public:
  SyntheticSource(int64_t vocab, int64_t seq_len, int64_t micro_batch, uint64_t seed);

  Batch NextTrain() override;  // [micro_batch, seq_len]
  Batch Eval(int64_t first, int64_t count) override;
  int64_t EvalRows() const override { return INT64_MAX; }

 private:
  // Rows seeded base + first .. base + first + count - 1: [count, seq_len].
  Batch Make(uint64_t base, int64_t first, int64_t count) const;

  int64_t vocab_, seq_len_, micro_batch_;
  uint64_t seed_;
  int64_t next_ = 0;    // train rows handed out so far
  torch::Tensor perm_;  // [V] int64
};

// labels[b, t] = tokens[b, t + 1]; the last position is -100. tokens: [B, T] -> [B, T].
torch::Tensor NextTokenLabels(const torch::Tensor& tokens);

}  // namespace qlsweep::trainer
