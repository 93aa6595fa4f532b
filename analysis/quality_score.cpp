// Finding the sweep's reference trial and scoring each trial against it.
#include "analysis/quality_score.h"

#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {

std::optional<QualityYardstick> FindYardstick(const std::vector<storage::TrialRow>& trials,
                                              const std::string& reference, std::string* why) {
  auto fail = [&](const std::string& reason) -> std::optional<QualityYardstick> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (reference.empty()) return fail("the sweep names no reference trial");
  const storage::TrialRow* ref = nullptr;
  for (const auto& t : trials) {
    if (t.name == reference) ref = &t;
  }
  if (ref == nullptr) return fail("reference trial '" + reference + "' is not recorded");
  if (ref->status != protocol::TrialStatus::kDone) {
    return fail("reference trial '" + reference + "' did not finish (" +
                std::string(protocol::ToString(ref->status)) + ")");
  }
  const auto base = Result(*ref, protocol::result::kBaseEvalLoss);
  const auto loss = Result(*ref, protocol::result::kFinalEvalLoss);
  if (!base || !loss) return fail("reference trial '" + reference + "' has no eval losses");
  if (*base - *loss <= 0) {
    return fail("reference trial '" + reference + "' did not improve on the base model");
  }
  if (why != nullptr) why->clear();
  return QualityYardstick{reference, *base, *loss};
}

std::optional<double> QualityScore(const storage::TrialRow& trial,
                                   const QualityYardstick& yardstick) {
  if (trial.status != protocol::TrialStatus::kDone) return std::nullopt;
  const auto loss = Result(trial, protocol::result::kFinalEvalLoss);
  if (!loss) return std::nullopt;
  return (yardstick.base_loss - *loss) / (yardstick.base_loss - yardstick.reference_loss);
}

}  // namespace qlsweep::analysis
