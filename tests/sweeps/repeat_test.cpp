// `repeat: K`: every trial K times with seeds s..s+K-1, named by seed; the reference follows.
#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Describe;
using testing::IssuesOf;

TEST(SweepsRepeat, EveryTrialRunsWithKSeeds) {
  const auto sweep = LoadSweepText(
      "name: r\nrepeat: 3\nreference: lora.r=8\nbase: {train.seed: 10}\ngrid: {lora.r: [4, 8]}\n",
      "s.yaml");
  ASSERT_EQ(sweep.trials.size(), 6u);
  EXPECT_EQ(sweep.repeat, 3);
  const std::vector<std::pair<std::string, int>> expected = {
      {"lora.r=4,train.seed=10", 10}, {"lora.r=4,train.seed=11", 11},
      {"lora.r=4,train.seed=12", 12}, {"lora.r=8,train.seed=10", 10},
      {"lora.r=8,train.seed=11", 11}, {"lora.r=8,train.seed=12", 12}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(sweep.trials[i].name, expected[i].first);
    EXPECT_EQ(sweep.trials[i].train.seed, expected[i].second);
  }
  EXPECT_NE(sweep.trials[0].id, sweep.trials[1].id);
  EXPECT_EQ(sweep.reference, "lora.r=8,train.seed=10");
}

TEST(SweepsRepeat, OverrideSetsIt) {
  const auto sweep = LoadSweepText("name: r\ngrid: {lora.r: [4, 8]}\n", "s.yaml", {{"repeat=2"}});
  EXPECT_EQ(sweep.trials.size(), 4u);
  EXPECT_EQ(sweep.trials[1].name, "lora.r=4,train.seed=1");
}

TEST(SweepsRepeat, BadValuesAndASeedAxisAreErrors) {
  struct Case {
    std::string yaml;
    int line;
    std::string key, text;
  };
  for (const auto& c : {
           Case{"name: r\nrepeat: 0\n", 2, "repeat", "must be an integer in [1, 1000]"},
           Case{"name: r\nrepeat: two\n", 2, "repeat", "string 'two'"},
           Case{"name: r\nrepeat: 2\ngrid:\n  train.seed: [0, 1]\n", 4, "train.seed", "repeat: 2"},
       }) {
    const auto issues = IssuesOf([&] { LoadSweepText(c.yaml, "s.yaml"); });
    ASSERT_EQ(issues.size(), 1u) << Describe(issues);
    EXPECT_TRUE(testing::HasIssue(issues, c.line, c.key, c.text)) << Describe(issues);
  }
}

}  // namespace
}  // namespace qlsweep::sweeps
