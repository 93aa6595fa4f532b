// `search:` in sweep files: random draws (deterministic, prefix-stable, within their ranges) and
// a fit search's candidates; the bisection step and its probe count; errors with lines.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sweeps/fit_search.h"
#include "sweeps/load.h"
#include "sweeps/random_search.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Describe;
using testing::IssuesOf;

// The C++ standard ([rand.predef]) pins the 10000th output of a default-constructed
// std::mt19937_64: 9981545732273789042. Uniform01 keeps its top 53 bits, exactly.
TEST(SweepsRandomSearch, Uniform01IsTheTop53BitsOfTheStandardEngine) {
  std::mt19937_64 rng;  // seed 5489
  rng.discard(9999);
  EXPECT_EQ(Uniform01(rng), static_cast<double>(9981545732273789042ull >> 11) * 0x1.0p-53);
}

TEST(SweepsRandomSearch, DrawValueCoversRangesAndChoices) {
  SpaceRange ints{"lora.r", 1, "", {}, 4, 64, false, 4, true};
  EXPECT_EQ(DrawValue(ints, 0.0), 4);
  EXPECT_EQ(DrawValue(ints, 0.999999), 64);  // 16 values: 4, 8, ..., 64
  EXPECT_EQ(DrawValue(ints, 0.5), 36);
  SpaceRange log_floats{"optim.lr", 1, "", {}, 1e-5, 1e-1, true, 0, false};
  EXPECT_DOUBLE_EQ(DrawValue(log_floats, 0.0).get<double>(), 1e-5);
  EXPECT_DOUBLE_EQ(DrawValue(log_floats, 0.5).get<double>(), 0.001);  // the geometric middle
  EXPECT_DOUBLE_EQ(DrawValue(log_floats, 0.25).get<double>(), 0.0001);
  SpaceRange floats{"lora.dropout", 1, "", {}, 0.0, 0.2, false, 0, false};
  EXPECT_DOUBLE_EQ(DrawValue(floats, 0.123456789).get<double>(), 0.02469);  // 4 digits
  SpaceRange choices{"optim.name", 1, "", {"adamw", "paged_adamw"}, 0, 0, false, 0, false};
  EXPECT_EQ(DrawValue(choices, 0.49), "adamw");
  EXPECT_EQ(DrawValue(choices, 0.5), "paged_adamw");
}

constexpr const char* kRandomSweep = R"(name: rnd
base: {model.preset: tiny, train: {steps: 4, warmup_steps: 0}}
search:
  kind: random
  trials: TRIALS
  seed: 7
  space:
    optim.lr: {low: 1.0e-4, high: 1.0e-1, log: true}
    lora:
      r: {low: 4, high: 64, step: 4}
      targets: [[q, v], [q, k, v, o]]
    lora.dropout: {low: 0.0, high: 0.2}
)";

ExpandedSweep RandomSweep(int trials) {
  std::string yaml = kRandomSweep;
  yaml.replace(yaml.find("TRIALS"), 6, std::to_string(trials));
  return LoadSweepText(yaml, "rnd.yaml");
}

TEST(SweepsRandomSearch, DrawsAreValidDeterministicAndPrefixStable) {
  const auto a = RandomSweep(12);
  const auto b = RandomSweep(12);
  const auto more = RandomSweep(20);
  ASSERT_EQ(a.trials.size(), 12u);
  ASSERT_EQ(more.trials.size(), 20u);
  EXPECT_EQ(a.search.kind, SearchKind::kRandom);
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto& t = a.trials[i];
    EXPECT_EQ(t.id, b.trials[i].id);     // same seed, same trials: a re-run resumes
    EXPECT_EQ(t.id, more.trials[i].id);  // more trials keep the first ones
    EXPECT_GE(t.optim.lr, 1e-4);
    EXPECT_LE(t.optim.lr, 1e-1);
    EXPECT_EQ(t.lora.r % 4, 0);
    EXPECT_GE(t.lora.r, 4);
    EXPECT_LE(t.lora.r, 64);
    EXPECT_GE(t.lora.dropout, 0.0);
    EXPECT_LE(t.lora.dropout, 0.2);
    EXPECT_TRUE(t.name.starts_with("optim.lr=")) << t.name;
    EXPECT_NE(t.name.find(",lora.r="), std::string::npos) << t.name;
    EXPECT_NE(t.name.find(",lora.targets=["), std::string::npos) << t.name;
  }
  // Another seed draws other trials.
  std::string yaml = kRandomSweep;
  yaml.replace(yaml.find("TRIALS"), 6, "12");
  yaml.replace(yaml.find("seed: 7"), 7, "seed: 8");
  EXPECT_NE(LoadSweepText(yaml, "rnd.yaml").trials[0].id, a.trials[0].id);
}

TEST(SweepsRandomSearch, CrossesTheGridAndRepeats) {
  const auto sweep = LoadSweepText(
      "name: r\nrepeat: 2\ngrid: {optim.name: [adamw, paged_adamw]}\n"
      "search: {kind: random, trials: 3, space: {lora.r: {low: 1, high: 256, log: true}}}\n",
      "s.yaml");
  EXPECT_EQ(sweep.trials.size(), 12u);  // 2 optimizers x 3 draws x 2 seeds
  EXPECT_TRUE(sweep.trials[0].name.starts_with("optim.name=adamw,lora.r=")) << sweep.trials[0].name;
}

TEST(SweepsRandomSearch, ASmallSpaceGivesFewerTrialsWithANote) {
  const auto sweep = LoadSweepText(
      "name: r\nsearch: {kind: random, trials: 5, space: {lora.r: [4, 8]}}\n", "s.yaml");
  EXPECT_EQ(sweep.trials.size(), 2u);
  ASSERT_EQ(sweep.notes.size(), 1u);
  EXPECT_NE(sweep.notes[0].find("only 2 distinct"), std::string::npos) << sweep.notes[0];
}

TEST(SweepsRandomSearch, BadSpacesAreErrorsAtTheirLines) {
  struct Case {
    std::string search;  // the lines after `search:`
    int line;
    std::string key, text;
  };
  for (const auto& c : {
           Case{"  kind: random\n  trials: 0\n  space: {lora.r: [4]}\n", 4, "search.trials",
                "must be an integer in [1, 10000]"},
           Case{"  kind: rand\n", 3, "search.kind", "must be 'random' or 'fit'"},
           Case{"  kind: random\n  trials: 2\n", 2, "search.space", "missing"},
           Case{"  kind: random\n  trials: 2\n  space:\n    lora.dropout: {low: 0, high: 1.5}\n", 6,
                "lora.dropout", "high: must be in [0, 1)"},
           Case{"  kind: random\n  trials: 2\n  space:\n    optim.name: {low: 0, high: 1}\n", 6,
                "optim.name", "takes a list of choices"},
           Case{"  kind: random\n  trials: 2\n  space:\n    optim.lr: {low: 0.1, hihg: 1}\n", 6,
                "optim.lr", "did you mean 'high'?"},
           Case{"  kind: random\n  trials: 2\n  space:\n    optim.lr: {low: 0.0, high: 1, "
                "log: true}\n",
                6, "optim.lr", "low: must be in (0, 1]"},
           Case{"  kind: random\n  trials: 2\n  space:\n    lora.r:\n      - 4\n      - 0\n", 8,
                "lora.r", "must be"},
           Case{"  kind: random\n  trials: 2\n  space:\n    lora.rank: [4]\n", 6, "lora.rank",
                "did you mean 'lora.r'?"},
           Case{"  kind: random\n  trials: 2\n  space:\n    optim.lr: {low: 0.1, high: 0.2, "
                "step: 1}\n",
                6, "optim.lr", "only for a linear range of an int key"},
       }) {
    const auto issues = IssuesOf([&] { LoadSweepText("name: r\nsearch:\n" + c.search, "s.yaml"); });
    EXPECT_TRUE(testing::HasIssue(issues, c.line, c.key, c.text)) << c.search << Describe(issues);
  }
  // A key both in the grid and in the space is varied twice.
  const auto issues = IssuesOf([&] {
    LoadSweepText(
        "name: r\ngrid: {lora.r: [4]}\nsearch:\n  kind: random\n  trials: 2\n"
        "  space: {lora.r: [8, 16]}\n",
        "s.yaml");
  });
  EXPECT_TRUE(testing::HasIssue(issues, 6, "lora.r", "varied twice")) << Describe(issues);
}

// Every boundary of every small range: the search finds it, within ceil(log2(n + 1)) probes.
TEST(SweepsFitSearch, BisectionFindsEveryBoundaryWithinLog2Probes) {
  for (int n = 1; n <= 70; ++n) {
    for (int boundary = -1; boundary < n; ++boundary) {  // the highest index that fits
      Bisection search(n);
      int probes = 0;
      while (auto next = search.Next()) {
        ASSERT_TRUE(search.Record(*next, *next <= boundary));
        ++probes;
      }
      EXPECT_EQ(search.fits, boundary) << n;
      EXPECT_EQ(search.fails, boundary + 1) << n;
      EXPECT_LE(probes, MaxProbes(n)) << n << " " << boundary;
    }
  }
  EXPECT_EQ(MaxProbes(1), 1);
  EXPECT_EQ(MaxProbes(3), 2);
  EXPECT_EQ(MaxProbes(4), 3);
  EXPECT_EQ(MaxProbes(7), 3);
  EXPECT_EQ(MaxProbes(8), 4);
  EXPECT_EQ(MaxProbes(125), 7);
}

TEST(SweepsFitSearch, ProbesTheMiddleAndRefusesContradictions) {
  Bisection search(8);  // values 0..7
  EXPECT_EQ(search.Next(), 3);
  EXPECT_TRUE(search.Record(3, true));
  EXPECT_EQ(search.Next(), 5);
  EXPECT_TRUE(search.Record(5, false));
  EXPECT_EQ(search.Next(), 4);
  EXPECT_FALSE(search.Record(6, true));   // fits above a known failure
  EXPECT_FALSE(search.Record(2, false));  // fails below a known fit
  EXPECT_TRUE(search.Record(4, true));
  EXPECT_EQ(search.Next(), std::nullopt);
  EXPECT_EQ(search.fits, 4);
  EXPECT_EQ(FitCandidates(512, 1024, 128), (std::vector<int64_t>{512, 640, 768, 896, 1024}));
}

TEST(SweepsFitSearch, CandidatesAreTheTrialsInAscendingOrder) {
  const auto sweep = LoadSweepText(
      "name: f\nbase: {model.preset: tiny, hardware: {device: cpu, host_memory_mib: 900}}\n"
      "search: {kind: fit, key: data.seq_len, low: 256, high: 2048, step: 256}\n",
      "f.yaml");
  EXPECT_EQ(sweep.search.kind, SearchKind::kFit);
  ASSERT_EQ(sweep.trials.size(), 8u);
  EXPECT_EQ(sweep.trials[0].name, "data.seq_len=256");
  EXPECT_EQ(sweep.trials[7].data.seq_len, 2048);
}

TEST(SweepsFitSearch, BadFitSearchesAreErrorsAtTheirLines) {
  struct Case {
    std::string yaml;
    int line;
    std::string key, text;
  };
  const std::string cpu =
      "base: {model.preset: tiny, hardware: {device: cpu, host_memory_mib: 900}}\n";
  for (const auto& c : {
           Case{cpu + "search: {kind: fit, key: optim.lr, low: 1, high: 2}\n", 3, "search.key",
                "a fit search bisects an int key"},
           Case{cpu + "search: {kind: fit, key: lora.rr, low: 1, high: 2}\n", 3, "lora.rr",
                "did you mean 'lora.r'?"},
           Case{cpu + "search: {kind: fit, key: lora.r, low: 8, high: 4}\n", 3, "search",
                "low (8) must be below high (4)"},
           Case{cpu + "search: {kind: fit, key: lora.r, low: 4, high: 64, step: 8}\n", 3, "search",
                "must be a multiple of step (8)"},
           Case{cpu + "search: {kind: fit, key: lora.r, low: 0, high: 64}\n", 3, "lora.r",
                "low: must be"},
           Case{cpu + "grid: {lora.alpha: [8, 16]}\nsearch: {kind: fit, key: lora.r, low: 4, "
                      "high: 8}\n",
                3, "grid", "not with a fit search"},
           Case{"base: {model.preset: tiny}\nsearch: {kind: fit, key: lora.r, low: 4, high: 8}\n",
                3, "search", "needs a memory to fit into"},
           Case{cpu + "search: {kind: fit, key: data.seq_len, low: 1024, high: 4096, step: 1024}\n",
                3, "data.seq_len", "exceeds the tiny context of 2048"},
           Case{"base: {hardware: {device: cuda, host_memory_mib: 900}}\n", 2,
                "hardware.host_memory_mib", "needs hardware.device cpu"},
       }) {
    const auto issues = IssuesOf([&] { LoadSweepText("name: f\n" + c.yaml, "f.yaml"); });
    EXPECT_TRUE(testing::HasIssue(issues, c.line, c.key, c.text)) << c.yaml << Describe(issues);
  }
}

}  // namespace
}  // namespace qlsweep::sweeps

namespace qlsweep::sweeps {
namespace {

TEST(SweepsFitSearch, OverridesMayNotVaryOrSetMoreThanItsKey) {
  const std::string yaml =
      "name: f\nbase: {model.preset: tiny, hardware: {device: cpu, host_memory_mib: 900}}\n"
      "search: {kind: fit, key: lora.r, low: 4, high: 64}\n";
  EXPECT_EQ(LoadSweepText(yaml, "f.yaml", {{"train.steps=2"}}).trials.size(), 61u);
  for (const auto& overrides : std::vector<CommandLineOverrides>{
           {{"lora.alpha=8,16"}, true}, {{"lora.r=8"}, false}, {{"repeat=2"}, false}}) {
    const auto issues = testing::IssuesOf([&] { LoadSweepText(yaml, "f.yaml", overrides); });
    EXPECT_TRUE(testing::HasIssue(issues, 0, "lora.r", "a fit search varies lora.r alone"))
        << overrides.args[0] << testing::Describe(issues);
  }
}

}  // namespace
}  // namespace qlsweep::sweeps
