// Cross-entropy over the vocabulary in chunks of tokens, so fp32 logits for the whole batch never
// exist.
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

struct LossResult {
  torch::Tensor loss;   // [] float32: mean over labelled tokens; differentiable w.r.t. hidden (and
                        // w.r.t. weight when it requires a gradient: full fine-tuning)
  int64_t correct = 0;  // labelled tokens whose arg-max prediction equals the label
  int64_t counted = 0;  // labelled tokens (label != -100)
};

// hidden: [B, T, D] (compute dtype); weight: [V, D] output projection (same dtype; frozen, or
// trainable in full fine-tuning, when its gradient is summed over the chunks in float32);
// labels: [B, T] int64, -100 = not counted. Logits are formed `chunk_tokens` rows at a time in
// fp32; backward recomputes them chunk by chunk. Equals
// cross_entropy(hidden @ weight^T, labels, ignore_index=-100) in value and gradient.
// chunk_tokens 0 = LossChunkTokens(V, dtype size) (sweeps/loss_chunk.h), or the environment's
// QLSWEEP_LOSS_CHUNK_TOKENS when set (a benchmark's knob: bench/levers.sh measures the rule
// against the former fixed 1024).
LossResult ChunkedCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight,
                               const torch::Tensor& labels, int64_t chunk_tokens = 0);

}  // namespace qlsweep::trainer
