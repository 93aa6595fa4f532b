// Quality score: the yardstick from the reference trial, the score, and when there is none.
#include "analysis/quality_score.h"

#include <gtest/gtest.h>

#include "tests/support/protocol_printers.h"

namespace qlsweep::analysis {
namespace {

using protocol::TrialStatus;

storage::TrialRow Trial(const std::string& name, TrialStatus status, double base,
                        double final_loss) {
  storage::TrialRow t;
  t.name = name;
  t.status = status;
  t.results = {{"base_eval_loss", base}, {"final_eval_loss", final_loss}};
  return t;
}

TEST(QualityScore, IsTheShareOfTheReferencesImprovementOverTheBase) {
  const std::vector<storage::TrialRow> trials = {Trial("r4", TrialStatus::kDone, 2.0, 1.8),
                                                 Trial("r64", TrialStatus::kDone, 2.0, 1.6),
                                                 Trial("r128", TrialStatus::kDone, 2.0, 2.1)};
  std::string why = "stale";
  const auto yardstick = FindYardstick(trials, "r64", &why);
  ASSERT_TRUE(yardstick.has_value()) << why;
  EXPECT_EQ(why, "");
  EXPECT_DOUBLE_EQ(yardstick->base_loss, 2.0);
  EXPECT_DOUBLE_EQ(yardstick->reference_loss, 1.6);
  EXPECT_NEAR(*QualityScore(trials[0], *yardstick), 0.5, 1e-12);
  EXPECT_NEAR(*QualityScore(trials[1], *yardstick), 1.0, 1e-12);
  EXPECT_NEAR(*QualityScore(trials[2], *yardstick), -0.25, 1e-12);  // worse than the base
}

TEST(QualityScore, UsesTheReferencesBaseLossForEveryTrial) {
  // A 4-bit trial's own base is worse (quantization error); the score charges it for that.
  const std::vector<storage::TrialRow> trials = {Trial("nf4", TrialStatus::kDone, 2.2, 1.8),
                                                 Trial("bf16", TrialStatus::kDone, 2.0, 1.6)};
  const auto yardstick = FindYardstick(trials, "bf16", nullptr);
  ASSERT_TRUE(yardstick.has_value());
  EXPECT_NEAR(*QualityScore(trials[0], *yardstick), 0.5, 1e-12);
}

TEST(QualityScore, NoneForTrialsThatDidNotFinish) {
  const std::vector<storage::TrialRow> trials = {Trial("ref", TrialStatus::kDone, 2.0, 1.6)};
  const auto yardstick = FindYardstick(trials, "ref", nullptr);
  ASSERT_TRUE(yardstick.has_value());
  auto oom = Trial("oom", TrialStatus::kOom, 2.0, 1.0);
  EXPECT_FALSE(QualityScore(oom, *yardstick).has_value());
  storage::TrialRow no_loss;
  no_loss.status = TrialStatus::kDone;
  EXPECT_FALSE(QualityScore(no_loss, *yardstick).has_value());
}

TEST(QualityScore, NoYardstickSaysWhy) {
  const std::vector<storage::TrialRow> trials = {
      Trial("ok", TrialStatus::kDone, 2.0, 1.6), Trial("oom", TrialStatus::kOom, 2.0, 1.6),
      Trial("flat", TrialStatus::kDone, 2.0, 2.0), Trial("worse", TrialStatus::kDone, 2.0, 2.3)};
  const std::pair<std::string, std::string> cases[] = {
      {"", "the sweep names no reference trial"},
      {"missing", "reference trial 'missing' is not recorded"},
      {"oom", "reference trial 'oom' did not finish (oom)"},
      {"flat", "reference trial 'flat' did not improve on the base model"},
      {"worse", "reference trial 'worse' did not improve on the base model"}};
  for (const auto& [reference, reason] : cases) {
    std::string why;
    EXPECT_FALSE(FindYardstick(trials, reference, &why).has_value()) << reference;
    EXPECT_EQ(why, reason);
  }
  storage::TrialRow no_losses;
  no_losses.name = "bare";
  no_losses.status = TrialStatus::kDone;
  std::string why;
  EXPECT_FALSE(FindYardstick({no_losses}, "bare", &why).has_value());
  EXPECT_EQ(why, "reference trial 'bare' has no eval losses");
}

}  // namespace
}  // namespace qlsweep::analysis
