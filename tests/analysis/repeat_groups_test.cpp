// Repeats folded into configurations: names, means, spreads, the group yardstick, noise notes.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/repeat_groups.h"
#include "analysis/sweep_analysis.h"
#include "analysis/tradeoff_tables.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {
namespace {

using protocol::TrialStatus;

TEST(AnalysisRepeatGroups, ConfigurationNameDropsTheSeed) {
  const std::pair<std::string, std::string> cases[] = {
      {"lora.r=8,train.seed=2", "lora.r=8"},
      {"base,train.seed=0", "base"},
      {"train.seed=3", "base"},
      {"paged8,data.seq_len=512,train.seed=10", "paged8,data.seq_len=512"},
      {"lora.r=8", "lora.r=8"},
      {"train.seed=1,lora.r=8", "train.seed=1,lora.r=8"},  // a seed axis, not a repeat
  };
  for (const auto& [name, want] : cases) EXPECT_EQ(ConfigurationName(name), want) << name;
}

storage::TrialRow Seed(const std::string& config, int seed, double loss, double tokens_per_s,
                       TrialStatus status = TrialStatus::kDone) {
  storage::TrialRow t;
  t.name = config + ",train.seed=" + std::to_string(seed);
  t.id = t.name;
  t.status = status;
  t.params = {{"lora.r", config.substr(config.find('=') + 1)},
              {"train.seed", std::to_string(seed)}};
  if (status == TrialStatus::kDone) {
    t.results = {{"base_eval_loss", 2.0},
                 {"final_eval_loss", loss},
                 {"tokens_per_s", tokens_per_s},
                 {"device_peak_bytes", 1e9 + seed * 1e6}};
  }
  if (status == TrialStatus::kOom) t.oom_phase = "backward";
  return t;
}

SweepAnalysis Repeated() {
  storage::SweepRecord sweep{"r", "r.yaml", "", "lora.r=16,train.seed=0",
                             R"({"name":"r","repeat":3})"};
  return AnalyzeSweep(
      sweep, {Seed("lora.r=4", 0, 1.80, 1000), Seed("lora.r=4", 1, 1.82, 1010),
              Seed("lora.r=4", 2, 1.84, 990),  // mean 1.82, sd 0.02
              Seed("lora.r=8", 0, 1.81, 1000), Seed("lora.r=8", 1, 1.83, 1200),
              Seed("lora.r=8", 2, 0, 0, TrialStatus::kOom), Seed("lora.r=16", 0, 1.50, 1000),
              Seed("lora.r=16", 1, 1.60, 1000), Seed("lora.r=16", 2, 1.70, 1000)});  // mean 1.60
}

TEST(AnalysisRepeatGroups, OneRowPerConfigurationWithMeanAndSpread) {
  const auto a = Repeated();
  ASSERT_EQ(a.trials.size(), 3u);
  ASSERT_EQ(a.spread.size(), 3u);
  EXPECT_EQ(a.trials[0].name, "lora.r=4");
  EXPECT_EQ(a.trials[0].params.count("train.seed"), 0u);
  EXPECT_EQ(a.varying, (std::vector<std::string>{"lora.r"}));
  EXPECT_NEAR(*a.figures[0].eval_loss, 1.82, 1e-12);
  EXPECT_NEAR(*a.spread[0].eval_loss, 0.02, 1e-12);
  EXPECT_EQ(a.spread[0].done, 3);
  // lora.r=8: one seed ran out of memory; the means are over the other two.
  EXPECT_EQ(a.trials[1].status, TrialStatus::kOom);
  EXPECT_EQ(a.spread[1].runs, 3);
  EXPECT_EQ(a.spread[1].done, 2);
  EXPECT_NEAR(*a.figures[1].tokens_per_s, 1100, 1e-9);
  // The yardstick is the reference configuration's mean: its mean quality is 1.
  ASSERT_TRUE(a.yardstick);
  EXPECT_NEAR(a.yardstick->reference_loss, 1.60, 1e-12);
  EXPECT_NEAR(*a.figures[2].quality, 1.0, 1e-12);
  EXPECT_NEAR(*a.figures[0].quality, (2.0 - 1.82) / (2.0 - 1.60), 1e-12);
}

TEST(AnalysisRepeatGroups, TablesShowSeedsAndStandardDeviations) {
  const auto a = Repeated();
  const auto table = TradeoffTable(a, ParseTradeoffKey("lora.r"));
  const std::vector<std::string> want = {
      "trial",        "status",       "seeds",      "lora.r",      "trainable params",
      "total MiB",    "total MiB sd", "tokens/s",   "tokens/s sd", "eval loss",
      "eval loss sd", "quality",      "quality sd", "pareto"};
  EXPECT_EQ(table.headers, want);
  EXPECT_EQ(table.rows[0][2], "3/3");
  EXPECT_EQ(table.rows[0][10], "0.0200");
  EXPECT_EQ(table.rows[1][2], "2/3");
}

TEST(AnalysisRepeatGroups, NotesDifferencesWithinTheNoise) {
  const auto a = Repeated();
  const auto notes = NoiseNotes(a, TradeoffTable(a, ParseTradeoffKey("lora.r")));
  // Eval loss: r=4 (1.82 ± 0.02, 3 seeds) vs r=8 (1.82 ± 0.014, 2 seeds) is within the noise;
  // r=8 vs r=16 (1.60 ± 0.1) is 0.22 apart, more than 2 standard errors (0.12). Tokens/s: r=8's
  // 1100 ± 141 is within the noise of both neighbours, and varies by 13% over its seeds.
  const std::vector<std::string> prefixes = {
      "eval loss: lora.r=4 (1.8200 ± 0.0200) and lora.r=8 (1.8200 ± 0.0141) differ by 0.0000, "
      "within the noise (2 standard errors: 0.0306)",
      "tokens/s: lora.r=4 (1000.0 ± 10.0) and lora.r=8 (1100.0 ± 141.4) differ by 100.0",
      "tokens/s: lora.r=8 (1100.0 ± 141.4) and lora.r=16 (1000.0 ± 0.0) differ by 100.0",
      "tokens/s: lora.r=8 varies by 13% over its 2 seeds"};
  ASSERT_EQ(notes.size(), prefixes.size()) << ::testing::PrintToString(notes);
  for (size_t i = 0; i < notes.size(); ++i) {
    EXPECT_EQ(notes[i].rfind(prefixes[i], 0), 0u) << notes[i];
  }
}

TEST(AnalysisRepeatGroups, WithoutRepeatNothingIsFolded) {
  storage::SweepRecord sweep{"r", "r.yaml", "", "", R"({"name":"r"})"};
  const auto a =
      AnalyzeSweep(sweep, {Seed("lora.r=4", 0, 1.8, 1000), Seed("lora.r=4", 1, 1.9, 1000)});
  EXPECT_EQ(a.trials.size(), 2u);
  EXPECT_TRUE(a.spread.empty());
  EXPECT_TRUE(NoiseNotes(a, TradeoffTable(a, ParseTradeoffKey("lora.r"))).empty());
}

}  // namespace
}  // namespace qlsweep::analysis
