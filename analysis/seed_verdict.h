// Verdicts on the seed report's claims: pure rules from measured figures and a claim to "holds",
// "does not hold" or "cannot be checked here", each with its reason. The tolerances are stated
// here and in docs/seed-report.md ("Verdict rules").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/trial_status.h"

namespace qlsweep::analysis {

enum class SeedVerdict { kHolds, kDoesNotHold, kCannotCheck };

// "holds", "does not hold", "cannot be checked here".
std::string_view VerdictName(SeedVerdict verdict);

struct ClaimVerdict {
  SeedVerdict verdict = SeedVerdict::kCannotCheck;
  std::string reason;
};

ClaimVerdict CannotCheck(std::string reason);

// Tolerances.
// A memory figure holds within 10% of the claim or 0.1 GiB, whichever is larger (the seed
// rounds to 0.05-0.5 GB; the memory estimator's goal is 10%).
inline constexpr double kMemoryShare = 0.10;
inline constexpr double kMemoryFloorGiB = 0.10;
// A parameter count holds within 5% (counts are exact arithmetic; the seed rounds to 2 digits).
inline constexpr double kCountShare = 0.05;
// A relative step time holds within 10 percentage points (speed varies 5-30% between runs).
inline constexpr double kTimePoints = 10;
// Two losses count as different only beyond max(2 standard errors of the difference, 0.001 nats)
// (the floor keeps rounding between bf16 kernels from counting as a difference).
inline constexpr double kLossFloorNats = 0.001;

// A mean over the finished seeds of one configuration, with its standard error (sd / sqrt(n));
// no `se` with fewer than two seeds.
struct Sampled {
  double mean = 0;
  std::optional<double> se;
  int n = 0;
  double Noise() const { return se ? 2 * *se : 0; }  // the band the rules use: 2 SE
};

// "5.51 GiB" of bytes; the seed's GB as GiB.
std::string GiBText(double bytes);

// A claimed memory figure (GB read as GiB) against a measured byte count.
ClaimVerdict JudgeMemory(double claimed_gib, std::optional<double> measured_bytes);

// A claimed count (trainable parameters) against the measured one.
ClaimVerdict JudgeCount(double claimed, std::optional<double> measured);

// What "fits?" is judged on. `held`: the outcome of the trial held to the profile (absent when
// none ran); `peak_bytes`: the device peak measured on the whole GPU (or by the held trial).
struct FitMeasurement {
  std::optional<protocol::TrialStatus> held;
  std::optional<double> peak_bytes;
  double budget_bytes = 0;  // the profile's memory
  std::string profile;      // its name, for the reason
};

// Ours: the held trial's outcome when it finished (done = fits) or ran out of memory (= does not
// fit); otherwise the peak against the budget (fits when peak <= budget). Holds when ours
// equals the claim.
ClaimVerdict JudgeFits(bool claimed_fits, const FitMeasurement& measured);

// "Needs more than X GB" (`at_least`) or "fits X GB" against the measured peak.
ClaimVerdict JudgeBound(double claimed_gib, bool at_least, std::optional<double> peak_bytes);

// A claimed "runs out of memory" against the outcome of the trial held to the profile.
ClaimVerdict JudgeOom(std::optional<protocol::TrialStatus> held, const std::string& profile);

// A claimed relative time (% of the reference row) against the measured one.
ClaimVerdict JudgeRelativeTime(double claimed_pct, std::optional<double> measured_pct);

// "A and B do not differ" (eval loss, nats): holds when |mean A - mean B| is within
// max(2 SE of the difference, kLossFloorNats); cannot be checked with a missing side or fewer
// than two seeds on either.
ClaimVerdict JudgeNoDifference(const std::string& a_label, const std::optional<Sampled>& a,
                               const std::string& b_label, const std::optional<Sampled>& b);

// A quality claim as a range [lo, hi] (fractions: 0.95 = 95%) against a measured quality: holds
// when mean +- 2 SE overlaps the range; cannot be checked without two seeds.
ClaimVerdict JudgeQualityRange(double lo, double hi, const std::optional<Sampled>& quality);

// "bf16 is more stable than fp16 (with loss scaling)". With `fp16_loss_scaled` (the trainer
// scales fp16 losses): holds when fp16 did not finish or is worse beyond the noise, does not
// hold otherwise. Without it, fp16 ran unscaled: as good as bf16 within noise = does not hold
// (even unscaled fp16 is stable); fp16 failed or worse = cannot be checked (the seed's fp16 has
// loss scaling).
ClaimVerdict JudgeBf16MoreStable(const std::optional<Sampled>& bf16,
                                 const std::optional<Sampled>& fp16, const std::string& fp16_error,
                                 bool fp16_loss_scaled);

// "Needs T tokens/s" against the card's compute bound (peak bf16 FLOP/s / (6 x parameters)):
// above it = does not hold; otherwise cannot be checked (only a measurement on the card can say;
// the speed projection beside it is a roofline, not a measurement).
ClaimVerdict JudgeComputeBound(double claimed_tokens_per_s, double bound_tokens_per_s);

// One verdict for several figures of one claim (a table row): does not hold when any part does
// not, else holds when any part holds, else cannot be checked. The reason lists every part as
// "label: verdict (reason)" (or the parts' one verdict and reason when they all agree).
ClaimVerdict Combine(const std::vector<std::pair<std::string, ClaimVerdict>>& parts);

}  // namespace qlsweep::analysis
