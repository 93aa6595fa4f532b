// The verdict rules of the seed report (docs/seed-report.md, "SeedVerdict rules").
#include "analysis/seed_verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qlsweep::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string Fixed(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

ClaimVerdict Make(bool holds, std::string reason) {
  return {holds ? SeedVerdict::kHolds : SeedVerdict::kDoesNotHold, std::move(reason)};
}

std::string Status(protocol::TrialStatus s) { return std::string(protocol::ToString(s)); }

}  // namespace

std::string_view VerdictName(SeedVerdict verdict) {
  switch (verdict) {
    case SeedVerdict::kHolds:
      return "holds";
    case SeedVerdict::kDoesNotHold:
      return "does not hold";
    case SeedVerdict::kCannotCheck:
      return "cannot be checked here";
  }
  return "cannot be checked here";
}

ClaimVerdict CannotCheck(std::string reason) {
  return {SeedVerdict::kCannotCheck, std::move(reason)};
}

std::string GiBText(double bytes) { return Fixed("%.2f GiB", bytes / kGiB); }

ClaimVerdict JudgeMemory(double claimed_gib, std::optional<double> measured_bytes) {
  if (!measured_bytes) return CannotCheck("not measured");
  const double measured = *measured_bytes / kGiB;
  const double tolerance = std::max(kMemoryShare * claimed_gib, kMemoryFloorGiB);
  const double diff = measured - claimed_gib;
  return Make(std::fabs(diff) <= tolerance, "measured " + Fixed("%.2f", measured) + " vs " +
                                                Fixed("%.2f", claimed_gib) + " GiB claimed (" +
                                                Fixed("%+.2f", diff) + "; tolerance " +
                                                Fixed("%.2f", tolerance) + ")");
}

ClaimVerdict JudgeCount(double claimed, std::optional<double> measured) {
  if (!measured) return CannotCheck("not measured");
  const double share = (*measured - claimed) / claimed;
  return Make(std::fabs(share) <= kCountShare, "measured " + Fixed("%.1fM", *measured / 1e6) +
                                                   " vs " + Fixed("%.1fM", claimed / 1e6) +
                                                   " claimed (" + Fixed("%+.0f%%", 100 * share) +
                                                   ")");
}

ClaimVerdict JudgeFits(bool claimed_fits, const FitMeasurement& m) {
  const std::string budget = m.profile + " (" + GiBText(m.budget_bytes) + ")";
  const std::string margin = m.peak_bytes
                                 ? "; peak " + GiBText(*m.peak_bytes) + ", margin " +
                                       Fixed("%+.2f GiB", (m.budget_bytes - *m.peak_bytes) / kGiB)
                                 : "";
  bool ours = false;
  std::string how;
  if (m.held == protocol::TrialStatus::kDone || m.held == protocol::TrialStatus::kOom) {
    ours = *m.held == protocol::TrialStatus::kDone;
    how = "held to " + budget + ": " + Status(*m.held) + margin;
  } else if (m.peak_bytes) {
    ours = *m.peak_bytes <= m.budget_bytes;
    how = "peak on the whole GPU vs " + budget + margin;
    if (m.held) how += " (the held trial ended " + Status(*m.held) + ")";
  } else {
    return CannotCheck(m.held
                           ? "the held trial ended " + Status(*m.held) + " and no peak was measured"
                           : "no peak measured");
  }
  return Make(ours == claimed_fits, std::string(ours ? "fits" : "does not fit") + ": " + how);
}

ClaimVerdict JudgeBound(double claimed_gib, bool at_least, std::optional<double> peak_bytes) {
  if (!peak_bytes) return CannotCheck("no peak measured");
  const double peak = *peak_bytes / kGiB;
  const bool holds = at_least ? peak >= claimed_gib : peak <= claimed_gib;
  return Make(holds, "peak " + Fixed("%.2f", peak) + " GiB vs " + (at_least ? ">= " : "<= ") +
                         Fixed("%.1f", claimed_gib) + " GiB claimed");
}

ClaimVerdict JudgeOom(std::optional<protocol::TrialStatus> held, const std::string& profile) {
  if (held == protocol::TrialStatus::kOom) return Make(true, "held to " + profile + ": oom");
  if (held == protocol::TrialStatus::kDone) return Make(false, "held to " + profile + ": done");
  return CannotCheck(held ? "the held trial ended " + Status(*held)
                          : "no trial held to the profile ran");
}

ClaimVerdict JudgeRelativeTime(double claimed_pct, std::optional<double> measured_pct) {
  if (!measured_pct) return CannotCheck("not measured");
  const double diff = *measured_pct - claimed_pct;
  return Make(std::fabs(diff) <= kTimePoints,
              "measured " + Fixed("%.0f%%", *measured_pct) + " vs " + Fixed("%.0f%%", claimed_pct) +
                  " claimed (tolerance " + Fixed("%.0f", kTimePoints) + " points)");
}

ClaimVerdict JudgeNoDifference(const std::string& a_label, const std::optional<Sampled>& a,
                               const std::string& b_label, const std::optional<Sampled>& b) {
  if (!a || !b) return CannotCheck("no finished trial of " + (a ? b_label : a_label));
  if (!a->se || !b->se) {
    return CannotCheck("fewer than two finished seeds: no spread to tell a difference from noise");
  }
  const double diff = a->mean - b->mean;
  const double noise = std::max(2 * std::sqrt(*a->se * *a->se + *b->se * *b->se), kLossFloorNats);
  const std::string text = a_label + " - " + b_label + " = " + Fixed("%+.4f", diff) +
                           " nats, noise band " + Fixed("%.4f", noise);
  return Make(std::fabs(diff) <= noise,
              std::fabs(diff) <= noise ? text + ": within the noise" : text + ": beyond the noise");
}

ClaimVerdict JudgeQualityRange(double lo, double hi, const std::optional<Sampled>& quality) {
  if (!quality) return CannotCheck("no quality measured");
  if (!quality->se) return CannotCheck("fewer than two finished seeds: no spread");
  const double noise = quality->Noise();
  const bool overlaps = quality->mean + noise >= lo && quality->mean - noise <= hi;
  const std::string range = std::isinf(hi)
                                ? Fixed(">= %.1f%%", 100 * lo)
                                : Fixed("%.1f", 100 * lo) + "-" + Fixed("%.1f%%", 100 * hi);
  return Make(overlaps, "measured " + Fixed("%.1f", 100 * quality->mean) + " +- " +
                            Fixed("%.1f%%", 100 * noise) + " vs " + range + " claimed");
}

ClaimVerdict JudgeBf16MoreStable(const std::optional<Sampled>& bf16,
                                 const std::optional<Sampled>& fp16, const std::string& fp16_error,
                                 bool fp16_loss_scaled) {
  if (!bf16) return CannotCheck("no finished bf16 trial");
  const std::string error = fp16_error.empty() ? "no error recorded" : fp16_error;
  if (!fp16) {
    if (fp16_loss_scaled)
      return Make(true, "fp16 with loss scaling did not finish (" + error + ")");
    return CannotCheck("fp16 without loss scaling did not finish (" + error +
                       "); the trainer has no loss scaling, so the seed's fp16 was not run");
  }
  const auto same = JudgeNoDifference("fp16", fp16, "bf16", bf16);
  if (same.verdict == SeedVerdict::kCannotCheck) return same;
  const std::string scaled =
      fp16_loss_scaled ? "fp16 with loss scaling" : "fp16 without loss scaling";
  if (same.verdict == SeedVerdict::kHolds) {
    return Make(false, scaled + " reaches bf16's eval loss (" + same.reason + ")");
  }
  if (fp16->mean < bf16->mean) return Make(false, "fp16 is better (" + same.reason + ")");
  if (fp16_loss_scaled) return Make(true, scaled + " is worse (" + same.reason + ")");
  return CannotCheck(scaled + " is worse (" + same.reason +
                     "); the seed's fp16 has loss scaling, which the trainer lacks");
}

ClaimVerdict JudgeComputeBound(double claimed_tokens_per_s, double bound_tokens_per_s) {
  const std::string text = "needs " + Fixed("%.0f", claimed_tokens_per_s) +
                           " tokens/s; the card's peak bf16 throughput allows at most " +
                           Fixed("%.0f", bound_tokens_per_s);
  if (claimed_tokens_per_s > bound_tokens_per_s) return Make(false, text);
  return CannotCheck(text + ", so it is possible; only a measurement on the card can tell");
}

ClaimVerdict Combine(const std::vector<std::pair<std::string, ClaimVerdict>>& parts) {
  bool any_holds = false, any_not = false;
  std::string reason;
  for (const auto& [label, v] : parts) {
    any_holds |= v.verdict == SeedVerdict::kHolds;
    any_not |= v.verdict == SeedVerdict::kDoesNotHold;
    if (!reason.empty()) reason += "; ";
    reason += label + ": " + std::string(VerdictName(v.verdict)) +
              (v.reason.empty() ? "" : " (" + v.reason + ")");
  }
  const bool all_same = std::all_of(parts.begin(), parts.end(), [&](const auto& p) {
    return p.second.verdict == parts.front().second.verdict &&
           p.second.reason == parts.front().second.reason;
  });
  if (!parts.empty() && all_same) return parts.front().second;  // one reason for all figures
  const SeedVerdict verdict = any_not     ? SeedVerdict::kDoesNotHold
                              : any_holds ? SeedVerdict::kHolds
                                          : SeedVerdict::kCannotCheck;
  return {verdict, reason};
}

}  // namespace qlsweep::analysis
