// Fit verdicts for the trade-off tables, from measured memory and the sweep's GPU profile.
#include "analysis/memory_fit.h"

#include "analysis/memory_units.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {

const sweeps::GpuProfile* TrialGpuProfile(const storage::TrialRow& trial,
                                          const std::string& sweep_profile) {
  const std::string own = Param(trial, "hardware.gpu_profile");
  const std::string& name = own.empty() ? sweep_profile : own;
  return name.empty() ? nullptr : sweeps::FindGpuProfile(name);
}

std::optional<double> FitMargin(const storage::TrialRow& trial, const sweeps::GpuProfile* profile) {
  const auto total = Result(trial, protocol::result::kDevicePeakBytes);
  if (profile == nullptr || !total || trial.status != protocol::TrialStatus::kDone) {
    return std::nullopt;
  }
  return static_cast<double>(profile->memory_bytes) - *total;
}

std::string FitVerdict(const storage::TrialRow& trial, const sweeps::GpuProfile* profile) {
  if (profile == nullptr) return "-";
  if (trial.status == protocol::TrialStatus::kOom) {
    return trial.oom_phase.empty() ? "no (oom)" : "no (oom in " + trial.oom_phase + ")";
  }
  const auto margin = FitMargin(trial, profile);
  if (!margin) return "-";
  return (*margin >= 0 ? "yes (" : "no (") + SignedBytes(*margin) + ")";
}

}  // namespace qlsweep::analysis
