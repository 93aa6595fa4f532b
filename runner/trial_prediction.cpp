// Predictions of a trial: the memory estimator's budget and the work proxy of the farm's queue.
#include "runner/trial_prediction.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/memory_estimator.h"
#include "protocol/result_keys.h"
#include "sweeps/model_shapes.h"

namespace qlsweep::runner {

void RecordPrediction(const sweeps::TrialConfig& trial, std::map<std::string, double>* results) {
  try {
    const auto e = analysis::EstimateMemory(trial);
    namespace result = protocol::result;
    (*results)[std::string(result::kPredictedAllocatedBytes)] =
        static_cast<double>(e.allocated_bytes);
    (*results)[std::string(result::kPredictedReservedBytes)] =
        static_cast<double>(e.reserved_bytes);
    (*results)[std::string(result::kPredictedTotalBytes)] = static_cast<double>(e.total_bytes);
  } catch (const std::invalid_argument&) {
  }
}

double PredictedWork(const sweeps::TrialConfig& trial) {
  double params = 1, layers = 0, width = 0;
  try {
    const auto shape = sweeps::PresetShape(trial.model.preset);
    params = static_cast<double>(shape.TotalParams());
    layers = static_cast<double>(shape.layers);
    width = static_cast<double>(shape.hidden);
  } catch (const std::invalid_argument&) {
  }
  const double seq = trial.data.seq_len;
  const double forward_per_token = 2 * params + 2 * layers * seq * width;
  const double train_tokens = static_cast<double>(trial.train.steps) * trial.train.micro_batch *
                              trial.train.grad_accum * seq;
  const double evaluations =
      2 + (trial.eval.interval > 0 ? trial.train.steps / trial.eval.interval : 0);
  const double eval_tokens =
      evaluations * trial.eval.sequences * seq / std::max(1, trial.hardware.gpus);
  const double passes = trial.train.grad_checkpointing ? 4 : 3;
  return forward_per_token * (passes * train_tokens + eval_tokens);
}

double PredictedPeakBytes(const sweeps::TrialConfig& trial) {
  try {
    return static_cast<double>(analysis::EstimateMemory(trial).total_bytes);
  } catch (const std::invalid_argument&) {
    return 0;
  }
}

}  // namespace qlsweep::runner
