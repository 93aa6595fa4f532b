// TrainStep: one optimizer step (gradient accumulation over micro-batches, clipping, update).
#pragma once

#include "sweeps/trial_config.h"
#include "trainer/train/trial_state.h"

namespace qlsweep::trainer {

struct StepResult {
  double loss = 0;       // mean over the step's labelled tokens (all ranks)
  double grad_norm = 0;  // global norm of the gradients before clipping
  double seconds = 0;    // wall time of the step (device synchronised)
  // fp16 (s.scaler set): the scale the loss was multiplied by, and whether the gradients held an
  // inf or NaN, so that the optimizer step was skipped (grad_norm is then inf or NaN).
  bool scaled = false;
  double loss_scale = 1;
  bool skipped = false;
};

// Runs cfg.train.grad_accum micro-batches forward and backward, clips to
// cfg.train.max_grad_norm (0: no clipping, the norm is still measured), steps the optimizer at
// `lr` and drops the gradients. Sets phase.name as it goes (forward, backward, optimizer).
// With a loss scaler (fp16) the backward runs on the scaled loss, the gradients are unscaled
// before clipping, the optimizer step is skipped when they hold inf/NaN, and the scale is updated
// (trainer/optim/loss_scaler.h).
// Each micro-batch's loss is its summed token loss over the step's labelled tokens (all ranks).
// A sharded trial of N ranks reads N * grad_accum micro-batches and rank r trains on numbers
// r, r + N, ...: the same rows and gradients as one rank with N times the accumulation.
StepResult TrainStep(TrialState& s, const sweeps::TrialConfig& cfg, double lr, Phase& phase);

}  // namespace qlsweep::trainer
