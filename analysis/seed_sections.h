// Inside the seed report: lookups over the recorded parts, measured figures, and one builder per
// section (seed_sections_*.cpp). Used by seed_report.cpp only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/seed_report.h"

namespace qlsweep::analysis {

// The recorded parts of one report, looked up by configuration name (a trial's name without its
// ",train.seed=N" suffix).
class SeedContext {
 public:
  explicit SeedContext(const SeedReportInputs& inputs) : in(inputs) {}
  const SeedReportInputs& in;

  // The seeds of configuration `name` of `part`, in planning order; empty when absent.
  std::vector<const storage::TrialRow*> Seeds(SeedPart part, const std::string& name) const;
  // Its first seed, or null.
  const storage::TrialRow* Trial(SeedPart part, const std::string& name) const;
  // Why `part` has no trials ("" when it has some).
  std::string WhyMissing(SeedPart part) const;
  // Why configuration `name` of `part` has no trial: the part's reason, else "no trial ...".
  std::string NoTrial(SeedPart part, const std::string& name) const;
  // Why a claim about Llama-2-7B on a GPU cannot be checked from `t` ("" when it can).
  std::string Not7bOnGpu(const storage::TrialRow* t) const;
  // Why a quality claim cannot be checked from `t` (random weights, CPU; "" when it can).
  std::string NotRealModel(const storage::TrialRow* t) const;
  // A verdict, or CannotCheck(why) when `why` is not empty.
  static ClaimVerdict Unless(const std::string& why, const ClaimVerdict& verdict);
};

// The result `key` of a trial that finished (`done`); nullopt otherwise.
std::optional<double> DoneResult(const storage::TrialRow* t, std::string_view key);
// Peak allocated during training minus allocated at the start (activations, LoRA gradients).
std::optional<double> ActivationBytes(const storage::TrialRow* t);
std::optional<protocol::TrialStatus> StatusOf(const storage::TrialRow* t);
// Mean and standard error of `key` over the seeds that finished.
std::optional<Sampled> SampleOf(const std::vector<const storage::TrialRow*>& seeds,
                                std::string_view key);
// "4.63" (GiB of bytes), "-" when absent.
std::string GiBCell(std::optional<double> bytes);
std::string NumberCell(const char* fmt, std::optional<double> value);
// "3.4412 +- 0.0123 (3)": mean +- 2 SE (seeds); "3.4412 (1)" with one seed; "-" when absent.
std::string SampledCell(const char* fmt, const std::optional<Sampled>& s, double scale = 1);
// "done", "oom (backward)", "failed: ...", "not run".
std::string OutcomeCell(const storage::TrialRow* t);
// A parameter of the trial as text ("512"), "-" when there is no trial.
std::string ParamCell(const storage::TrialRow* t, const std::string& key);
// The section's verdict column cell and the claim list entry.
void AddClaim(SeedSection& section, const std::string& claim, const ClaimVerdict& verdict);

// Quality against full fine-tuning at the same sequence length (docs/seed-report.md):
// (L_base - L_trial) / (L_base - L_full), L_base the untuned 16-bit model's eval loss and L_full
// full fine-tuning's, both means over the full fine-tuning seeds at that length; the standard
// error adds the three means' errors (first order, as if independent). Sets `why` when there is
// no reference at that length or it did not improve on the base.
std::optional<Sampled> QualityVsFullFt(const SeedContext& c,
                                       const std::vector<const storage::TrialRow*>& seeds,
                                       std::string* why);

// (L_base - L_trial) / (L_base - L_ref) of the means, its standard error from the three (first
// order, as if independent); nullopt with `why` when the reference did not improve on the base or
// the trial has no loss.
std::optional<Sampled> QualityFrom(const Sampled& base, const Sampled& reference,
                                   const std::optional<Sampled>& trial,
                                   const std::string& reference_label, std::string* why);

// The fit of a configuration: `whole` measured on the whole GPU, `held` held to the profile
// (either may be null).
FitMeasurement FitOf(const SeedContext& c, const storage::TrialRow* whole,
                     const storage::TrialRow* held);
// "yes (+0.49 GiB)", "no, oom held (-0.26 GiB)", "-".
std::string FitsCell(const FitMeasurement& m);

// The sections, in report order.
SeedSection BudgetSection(const SeedContext& c);
SeedSection SeqLenSection(const SeedContext& c);
SeedSection RankSection(const SeedContext& c);
SeedSection BatchSection(const SeedContext& c);
SeedSection SpeedSection(const SeedContext& c);
SeedSection MemoryQualitySection(const SeedContext& c);
SeedSection FullFtSection(const SeedContext& c);
SeedSection OtherClaimsSection(const SeedContext& c);

}  // namespace qlsweep::analysis
