// How many tokens' logits the chunked cross-entropy forms at once: as many as fit a fixed byte
// budget, so the loss's memory does not grow with the vocabulary (the trainer's loss and the
// memory estimator use this one rule).
#pragma once

#include <algorithm>
#include <cstdint>

namespace qlsweep::sweeps {

// Bytes of logits a chunk may hold: the GEMM output in the compute dtype, its float32 copy and one
// float32 temporary (softmax or the log-sum-exp's exponentials) per logit.
inline constexpr int64_t kLossChunkBytes = int64_t{128} << 20;

// Tokens per chunk for a vocabulary of `vocab` and a compute dtype of `compute_bytes` bytes: a
// multiple of 64 (at least 64), e.g. 384 for Llama-2's 32,000 in bf16, 64 for Llama-3's 128,256.
inline int64_t LossChunkTokens(int64_t vocab, int64_t compute_bytes) {
  const int64_t per_token = std::max<int64_t>(1, vocab * (compute_bytes + 4 + 4));
  return std::max<int64_t>(64, kLossChunkBytes / per_token / 64 * 64);
}

}  // namespace qlsweep::sweeps
