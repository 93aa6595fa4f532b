// What the coordinator predicts of a trial before it runs: its memory (the estimator, recorded as
// `predicted.*` results) and its work (the farm runs the longest trials first).
#pragma once

#include <map>
#include <string>

#include "sweeps/trial_config.h"

namespace qlsweep::runner {

// Adds the memory estimator's prediction to a trial's results (`table --calibration` compares
// it with the measurement). A preset the estimator does not know adds nothing.
void RecordPrediction(const sweeps::TrialConfig& trial, std::map<std::string, double>* results);

// A trial's predicted work per rank, in floating-point operations: the proxy the farm orders
// trials by (docs/farm.md). With P the model's parameters, L its layers, D its width and T the
// sequence length, a token's forward pass costs 2 P + 2 L T D (Kaplan et al. 2020); training
// costs 3 forwards (4 with gradient checkpointing) over steps x micro_batch x grad_accum x T
// tokens, evaluation one forward over (evaluations x eval.sequences x T) / hardware.gpus tokens,
// evaluations = 2 + steps / eval.interval (interval 0: 2). P, L and D come from model.preset; a
// preset without a known shape counts P = 1, L = D = 0 (tokens alone order such trials).
double PredictedWork(const sweeps::TrialConfig& trial);

// The estimator's device-level peak (total_bytes), or 0 for a preset it does not know: the
// farm's tie-break between trials of equal predicted work.
double PredictedPeakBytes(const sweeps::TrialConfig& trial);

}  // namespace qlsweep::runner
