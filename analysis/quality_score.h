// Quality score: the share of the reference trial's eval-loss improvement that a trial reaches.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/run_index.h"

namespace qlsweep::analysis {

// The yardstick of a sweep's quality scores (docs/analysis.md):
//   quality = (L_base - L_trial) / (L_base - L_ref)
// L_base: the untuned base model's eval loss as the reference trial recorded it
// (`base_eval_loss`); L_ref: the reference's `final_eval_loss`; L_trial: the trial's.
struct QualityYardstick {
  std::string reference;      // the reference trial's name in the sweep
  double base_loss = 0;       // L_base
  double reference_loss = 0;  // L_ref
};

// The yardstick, or nullopt with `why` set: the sweep names no reference, the reference is not
// among `trials`, did not finish (`done`), lacks either loss, or did not improve on the base
// (L_base - L_ref <= 0).
std::optional<QualityYardstick> FindYardstick(const std::vector<storage::TrialRow>& trials,
                                              const std::string& reference, std::string* why);

// The trial's score (1.0 = as good as the reference, 0 = no better than the untuned base,
// negative = worse); nullopt unless the trial is `done` with a finite `final_eval_loss`.
std::optional<double> QualityScore(const storage::TrialRow& trial,
                                   const QualityYardstick& yardstick);

}  // namespace qlsweep::analysis
