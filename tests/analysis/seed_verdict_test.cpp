// The seed report's verdict rules: given measured figures and a claim, the verdict and its reason.
#include "analysis/seed_verdict.h"

#include <gtest/gtest.h>

#include <limits>

namespace qlsweep::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kCard = 6141.0 * 1024 * 1024;  // rtx4050-laptop-6gb
using protocol::TrialStatus;

FitMeasurement Fit(std::optional<TrialStatus> held, std::optional<double> peak_gib) {
  FitMeasurement m;
  m.held = held;
  if (peak_gib) m.peak_bytes = *peak_gib * kGiB;
  m.budget_bytes = kCard;
  m.profile = "rtx4050-laptop-6gb";
  return m;
}

Sampled S(double mean, std::optional<double> se, int n) { return {mean, se, n}; }

TEST(SeedVerdict, NamesAreTheThreeAllowedValues) {
  EXPECT_EQ(VerdictName(SeedVerdict::kHolds), "holds");
  EXPECT_EQ(VerdictName(SeedVerdict::kDoesNotHold), "does not hold");
  EXPECT_EQ(VerdictName(SeedVerdict::kCannotCheck), "cannot be checked here");
}

TEST(SeedVerdict, MemoryWithinTenPercentOrATenthOfAGiB) {
  EXPECT_EQ(JudgeMemory(5.5, 5.51 * kGiB).verdict, SeedVerdict::kHolds);
  const auto far = JudgeMemory(5.5, 6.26 * kGiB);  // the measured 7B peak at seq 2048
  EXPECT_EQ(far.verdict, SeedVerdict::kDoesNotHold);
  EXPECT_NE(far.reason.find("6.26"), std::string::npos) << far.reason;
  EXPECT_EQ(JudgeMemory(5.5, 6.04 * kGiB).verdict, SeedVerdict::kHolds);        // +0.54 <= 0.55
  EXPECT_EQ(JudgeMemory(5.5, 6.06 * kGiB).verdict, SeedVerdict::kDoesNotHold);  // +0.56
  EXPECT_EQ(JudgeMemory(0.05, 0.07 * kGiB).verdict, SeedVerdict::kHolds);       // floor 0.1 GiB
  EXPECT_EQ(JudgeMemory(0.05, 0.16 * kGiB).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeMemory(5.5, std::nullopt).verdict, SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, CountsWithinFivePercent) {
  EXPECT_EQ(JudgeCount(50e6, 39976960).verdict, SeedVerdict::kDoesNotHold);  // r=16 on 7B
  EXPECT_EQ(JudgeCount(40e6, 39976960).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeCount(40e6, std::nullopt).verdict, SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, FitsIsTheHeldOutcomeElseThePeakAgainstTheProfile) {
  EXPECT_EQ(JudgeFits(true, Fit(TrialStatus::kDone, 5.51)).verdict, SeedVerdict::kHolds);
  const auto oom = JudgeFits(true, Fit(TrialStatus::kOom, 6.26));
  EXPECT_EQ(oom.verdict, SeedVerdict::kDoesNotHold);
  EXPECT_NE(oom.reason.find("oom"), std::string::npos) << oom.reason;
  EXPECT_EQ(JudgeFits(false, Fit(TrialStatus::kOom, std::nullopt)).verdict, SeedVerdict::kHolds);
  // No held trial: the whole-GPU peak against 6,141 MiB (5.997 GiB).
  EXPECT_EQ(JudgeFits(true, Fit(std::nullopt, 6.26)).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeFits(true, Fit(std::nullopt, 5.99)).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeFits(false, Fit(std::nullopt, 6.00)).verdict, SeedVerdict::kHolds);
  // A held trial that failed: the peak decides, and the reason says so.
  const auto failed = JudgeFits(true, Fit(TrialStatus::kFailed, 5.5));
  EXPECT_EQ(failed.verdict, SeedVerdict::kHolds);
  EXPECT_NE(failed.reason.find("failed"), std::string::npos) << failed.reason;
  EXPECT_EQ(JudgeFits(true, Fit(TrialStatus::kFailed, std::nullopt)).verdict,
            SeedVerdict::kCannotCheck);
  EXPECT_EQ(JudgeFits(true, Fit(std::nullopt, std::nullopt)).verdict, SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, BoundsOomAndRelativeTime) {
  EXPECT_EQ(JudgeBound(5, false, 5.82 * kGiB).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeBound(5, false, 4.9 * kGiB).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeBound(8, true, 8.5 * kGiB).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeBound(8, true, 7.3 * kGiB).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeOom(TrialStatus::kOom, "p").verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeOom(TrialStatus::kDone, "p").verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeOom(std::nullopt, "p").verdict, SeedVerdict::kCannotCheck);
  EXPECT_EQ(JudgeRelativeTime(100, 97).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeRelativeTime(85, 64).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeRelativeTime(85, std::nullopt).verdict, SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, NoDifferenceOnlyBeyondTwoStandardErrors) {
  // 2 * sqrt(0.01^2 + 0.01^2) = 0.0283
  EXPECT_EQ(JudgeNoDifference("a", S(3.44, 0.01, 3), "b", S(3.46, 0.01, 3)).verdict,
            SeedVerdict::kHolds);
  const auto beyond = JudgeNoDifference("a", S(3.44, 0.01, 3), "b", S(3.48, 0.01, 3));
  EXPECT_EQ(beyond.verdict, SeedVerdict::kDoesNotHold);
  EXPECT_NE(beyond.reason.find("0.0283"), std::string::npos) << beyond.reason;
  // Identical seeds (no spread): the 0.001-nat floor keeps rounding from counting.
  EXPECT_EQ(JudgeNoDifference("a", S(3.4400, 0.0, 2), "b", S(3.4405, 0.0, 2)).verdict,
            SeedVerdict::kHolds);
  EXPECT_EQ(JudgeNoDifference("a", S(3.440, 0.0, 2), "b", S(3.442, 0.0, 2)).verdict,
            SeedVerdict::kDoesNotHold);
  // One seed: no spread, no verdict.
  const auto one = JudgeNoDifference("a", S(3.44, std::nullopt, 1), "b", S(3.50, 0.01, 3));
  EXPECT_EQ(one.verdict, SeedVerdict::kCannotCheck);
  EXPECT_NE(one.reason.find("two finished seeds"), std::string::npos) << one.reason;
  EXPECT_EQ(JudgeNoDifference("a", std::nullopt, "b", S(3.5, 0.01, 3)).verdict,
            SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, QualityRangesOverlapWithinTheNoise) {
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, S(0.96, 0.01, 3)).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, S(0.83, 0.01, 3)).verdict, SeedVerdict::kDoesNotHold);
  // 0.93 + 2 x 0.011 = 0.952 reaches the range: within the noise, not called a difference.
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, S(0.93, 0.011, 3)).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, S(0.93, 0.009, 3)).verdict, SeedVerdict::kDoesNotHold);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(JudgeQualityRange(0.99, inf, S(1.01, 0.01, 3)).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeQualityRange(0.99, inf, S(0.83, 0.02, 3)).verdict, SeedVerdict::kDoesNotHold);
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, S(0.96, std::nullopt, 1)).verdict,
            SeedVerdict::kCannotCheck);
  EXPECT_EQ(JudgeQualityRange(0.95, 0.99, std::nullopt).verdict, SeedVerdict::kCannotCheck);
}

TEST(SeedVerdict, Bf16AgainstFp16WithoutLossScaling) {
  const auto bf16 = S(3.44, 0.01, 3);
  EXPECT_EQ(JudgeBf16MoreStable(bf16, S(3.45, 0.01, 3), "", false).verdict,
            SeedVerdict::kDoesNotHold);
  const auto worse = JudgeBf16MoreStable(bf16, S(3.60, 0.01, 3), "", false);
  EXPECT_EQ(worse.verdict, SeedVerdict::kCannotCheck);
  EXPECT_NE(worse.reason.find("loss scaling"), std::string::npos) << worse.reason;
  EXPECT_EQ(JudgeBf16MoreStable(bf16, S(3.30, 0.01, 3), "", false).verdict,
            SeedVerdict::kDoesNotHold);
  const auto failed = JudgeBf16MoreStable(bf16, std::nullopt, "failed: loss is nan", false);
  EXPECT_EQ(failed.verdict, SeedVerdict::kCannotCheck);
  EXPECT_NE(failed.reason.find("loss is nan"), std::string::npos) << failed.reason;
  // With loss scaling the claim is the seed's: worse or failed fp16 = holds.
  EXPECT_EQ(JudgeBf16MoreStable(bf16, S(3.60, 0.01, 3), "", true).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeBf16MoreStable(bf16, std::nullopt, "failed", true).verdict, SeedVerdict::kHolds);
  EXPECT_EQ(JudgeBf16MoreStable(bf16, S(3.45, 0.01, 3), "", true).verdict,
            SeedVerdict::kDoesNotHold);
}

TEST(SeedVerdict, ComputeBoundRulesOutOnlyWhatTheCardCannotDo) {
  // 0.8 steps/s x 16 x 2048 tokens against 24.3e12 / (6 x 6.74e9) = 601 tokens/s.
  EXPECT_EQ(JudgeComputeBound(26214, 601).verdict, SeedVerdict::kDoesNotHold);
  const auto possible = JudgeComputeBound(500, 601);
  EXPECT_EQ(possible.verdict, SeedVerdict::kCannotCheck);
  EXPECT_NE(possible.reason.find("only a measurement on the card can tell"), std::string::npos);
}

TEST(SeedVerdict, CombineIsTheWorstCheckedPart) {
  const auto holds = ClaimVerdict{SeedVerdict::kHolds, "h"};
  const auto not_ = ClaimVerdict{SeedVerdict::kDoesNotHold, "n"};
  const auto cannot = CannotCheck("c");
  EXPECT_EQ(Combine({{"a", holds}, {"b", not_}, {"c", cannot}}).verdict, SeedVerdict::kDoesNotHold);
  const auto partly = Combine({{"a", holds}, {"b", cannot}});
  EXPECT_EQ(partly.verdict, SeedVerdict::kHolds);
  EXPECT_NE(partly.reason.find("b: cannot be checked here (c)"), std::string::npos);
  const auto same = Combine({{"a", cannot}, {"b", cannot}});
  EXPECT_EQ(same.verdict, SeedVerdict::kCannotCheck);
  EXPECT_EQ(same.reason, "c");
}

}  // namespace
}  // namespace qlsweep::analysis
