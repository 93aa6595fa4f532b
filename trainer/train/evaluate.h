// Evaluation over fixed held-out rows: mean loss and token accuracy, with or without adapters.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include "trainer/data/batch.h"
#include "trainer/model/llama.h"
#include "trainer/parallel/dist_context.h"

namespace qlsweep::trainer {

struct EvalResult {
  double loss = 0, accuracy = 0;
  int64_t sequences = 0, tokens = 0;
};

// Mean loss and token accuracy over the first `sequences` held-out rows (fewer when the split is
// smaller), `micro_batch` rows per forward pass: the same rows whatever the micro-batch. With
// `dist` (a sharded trial, ZeRO stages 0-2) rank r scores the micro-batches r, r + N, ... and the
// sums are all-reduced, so every rank returns the one-rank figures (up to summation order).
EvalResult Evaluate(LlamaModel& model, DataSource& data, int64_t sequences, int64_t micro_batch,
                    const torch::Device& device, DistContext* dist = nullptr);

// The untuned base model's evaluation: the same rows with every adapter switched off.
EvalResult EvaluateBase(LlamaModel& model, DataSource& data, int64_t sequences, int64_t micro_batch,
                        const torch::Device& device, DistContext* dist = nullptr);

}  // namespace qlsweep::trainer
