// Sweep expansion: grid, zip, points, include, exclude, their combinations, names, order, merging.
#include <filesystem>

#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/resolve.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Describe;
using testing::IssuesOf;

std::vector<std::string> Names(const ExpandedSweep& sweep) {
  std::vector<std::string> out;
  for (const auto& t : sweep.trials) out.push_back(t.name);
  return out;
}

ExpandedSweep Load(const std::string& yaml) {
  try {
    return LoadSweepText(yaml, "s.yaml");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << e.what();
    return {};
  }
}

TEST(SweepsExpand, BaseAloneIsOneTrialNamedBase) {
  ExpandedSweep s = Load("name: one\nbase:\n  lora.r: 4\n");
  EXPECT_EQ(s.name, "one");
  EXPECT_EQ(s.file, "s.yaml");
  ASSERT_EQ(Names(s), std::vector<std::string>{"base"});
  EXPECT_EQ(s.trials[0].lora.r, 4);
}

TEST(SweepsExpand, GridIsTheCartesianProductLastAxisFastest) {
  ExpandedSweep s = Load(
      "name: g\n"
      "base: {train.steps: 4, train.warmup_steps: 0}\n"
      "grid:\n"
      "  data.seq_len: [64, 128]\n"
      "  lora.r: [4, 8, 16]\n");
  EXPECT_EQ(Names(s),
            (std::vector<std::string>{"data.seq_len=64,lora.r=4", "data.seq_len=64,lora.r=8",
                                      "data.seq_len=64,lora.r=16", "data.seq_len=128,lora.r=4",
                                      "data.seq_len=128,lora.r=8", "data.seq_len=128,lora.r=16"}));
  EXPECT_EQ(s.trials[4].data.seq_len, 128);
  EXPECT_EQ(s.trials[4].lora.r, 8);
  EXPECT_EQ(s.trials[4].train.steps, 4);
}

TEST(SweepsExpand, NestedGridKeysWork) {
  ExpandedSweep s = Load("name: g\ngrid:\n  lora:\n    r: [4, 8]\n    dropout: [0.0, 0.1]\n");
  EXPECT_EQ(Names(s),
            (std::vector<std::string>{"lora.r=4,lora.dropout=0", "lora.r=4,lora.dropout=0.1",
                                      "lora.r=8,lora.dropout=0", "lora.r=8,lora.dropout=0.1"}));
}

TEST(SweepsExpand, ZipVariesKeysTogetherAndCrossesWithTheGrid) {
  ExpandedSweep s = Load(
      "name: z\n"
      "grid:\n"
      "  data.seq_len: [64, 128]\n"
      "zip:\n"
      "  - lora.r: [4, 16]\n"
      "    lora.alpha: [8, 32]\n");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"data.seq_len=64,lora.r=4,lora.alpha=8",
                                                "data.seq_len=64,lora.r=16,lora.alpha=32",
                                                "data.seq_len=128,lora.r=4,lora.alpha=8",
                                                "data.seq_len=128,lora.r=16,lora.alpha=32"}));
  EXPECT_DOUBLE_EQ(s.trials[1].lora.alpha, 32.0);
  EXPECT_EQ(s.trials[1].lora.r, 16);
}

TEST(SweepsExpand, ZipAsASingleMappingAndSeveralGroups) {
  ExpandedSweep single = Load("name: z\nzip:\n  lora.r: [4, 8]\n  lora.alpha: [8, 16]\n");
  EXPECT_EQ(single.trials.size(), 2u);
  ExpandedSweep two = Load(
      "name: z\nzip:\n  - {lora.r: [4, 8], lora.alpha: [8, 16]}\n"
      "  - {train.micro_batch: [1, 2], train.grad_accum: [4, 2]}\n");
  ASSERT_EQ(two.trials.size(), 4u);
  EXPECT_EQ(two.trials[3].name, "lora.r=8,lora.alpha=16,train.micro_batch=2,train.grad_accum=2");
}

TEST(SweepsExpand, PointsAloneAndCrossedWithTheGrid) {
  ExpandedSweep alone = Load(
      "name: p\n"
      "points:\n"
      "  - name: small\n"
      "    set: {lora.r: 4}\n"
      "  - name: big\n"
      "    set:\n"
      "      lora: {r: 64, alpha: 128}\n"
      "  - name: defaults\n");
  EXPECT_EQ(Names(alone), (std::vector<std::string>{"small", "big", "defaults"}));
  EXPECT_EQ(alone.trials[1].lora.r, 64);
  EXPECT_EQ(alone.trials[2].lora.r, 16);

  ExpandedSweep crossed = Load(
      "name: p\n"
      "points:\n"
      "  - {name: nf4, set: {quantization.type: nf4}}\n"
      "  - {name: fp4, set: {quantization.type: fp4}}\n"
      "grid:\n"
      "  lora.r: [4, 8]\n");
  EXPECT_EQ(Names(crossed), (std::vector<std::string>{"nf4,lora.r=4", "nf4,lora.r=8",
                                                      "fp4,lora.r=4", "fp4,lora.r=8"}));
  EXPECT_EQ(crossed.trials[2].quantization.type, "fp4");
  EXPECT_EQ(crossed.trials[2].lora.r, 4);
}

TEST(SweepsExpand, ExcludeDropsMatchingTrials) {
  ExpandedSweep s = Load(
      "name: e\n"
      "grid:\n"
      "  data.seq_len: [64, 128, 256]\n"
      "  lora.r: [4, 8]\n"
      "exclude:\n"
      "  - {data.seq_len: 256, lora.r: 8}\n"          // one combination
      "  - {data.seq_len: [64, 128], lora.r: 4}\n");  // alternatives
  EXPECT_EQ(Names(s),
            (std::vector<std::string>{"data.seq_len=64,lora.r=8", "data.seq_len=128,lora.r=8",
                                      "data.seq_len=256,lora.r=4"}));
}

TEST(SweepsExpand, ExcludeComparesCanonicalValuesAndListKeys) {
  ExpandedSweep s = Load(
      "name: e\n"
      "grid:\n"
      "  lora.alpha: [16, 32.0]\n"
      "  lora.targets: [[q, v], [q, k, v, o]]\n"
      "exclude:\n"
      "  - {lora.alpha: 32, lora.targets: [v, q]}\n"              // one list value, any order
      "  - {lora.alpha: 16.0, lora.targets: [[o, v, k, q]]}\n");  // alternatives of lists
  EXPECT_EQ(Names(s), (std::vector<std::string>{"lora.alpha=16,lora.targets=[q,v]",
                                                "lora.alpha=32,lora.targets=[q,k,v,o]"}));
}

TEST(SweepsExpand, IncludeAddsTrialsAfterExcludeAndCanBringOneBack) {
  ExpandedSweep s = Load(
      "name: i\n"
      "grid:\n"
      "  lora.r: [4, 8]\n"
      "exclude:\n"
      "  - lora.r: 8\n"
      "include:\n"
      "  - {lora.r: 8, train.seed: 1}\n"
      "  - {name: r8, lora.r: 8}\n");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"lora.r=4", "lora.r=8,train.seed=1", "r8"}));
  EXPECT_EQ(s.trials[1].train.seed, 1);
  EXPECT_EQ(s.trials[2].lora.r, 8);
  EXPECT_EQ(s.trials[2].train.seed, 0);
}

TEST(SweepsExpand, DuplicateConfigsAreMergedKeepingTheFirstName) {
  ExpandedSweep s = Load(
      "name: d\n"
      "base: {lora.r: 8}\n"
      "grid:\n"
      "  lora.alpha: [16, 16.0, 32]\n"
      "include:\n"
      "  - {lora.alpha: 32}\n"
      "  - {name: same-as-default, lora.alpha: 16}\n"
      "reference: same-as-default\n");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"lora.alpha=16", "lora.alpha=32"}));
  EXPECT_EQ(s.reference, "lora.alpha=16");  // the reference follows its merged trial
}

TEST(SweepsExpand, GpuProfileIsCopiedIntoTrialsUnlessTheyChooseOne) {
  ExpandedSweep s = Load(
      "name: gp\n"
      "gpu_profile: rtx4050-laptop-6gb\n"
      "points:\n"
      "  - {name: card}\n"
      "  - {name: whole, set: {hardware.gpu_profile: ''}}\n");
  EXPECT_EQ(s.gpu_profile, "rtx4050-laptop-6gb");
  EXPECT_EQ(s.trials[0].hardware.gpu_profile, "rtx4050-laptop-6gb");
  EXPECT_EQ(s.trials[1].hardware.gpu_profile, "");
  ExpandedSweep base =
      Load("name: gp\ngpu_profile: t4-16gb\nbase: {hardware: {gpu_profile: a100-40gb}}\n");
  EXPECT_EQ(base.trials[0].hardware.gpu_profile, "a100-40gb");
}

TEST(SweepsExpand, ReferenceNamesATrialAndSpecIsRecorded) {
  ExpandedSweep s = Load(
      "name: ref\n"
      "description: text\n"
      "reference: baseline\n"
      "points:\n"
      "  - {name: baseline, set: {lora.r: 64}}\n"
      "  - {name: cheap, set: {lora.r: 4}}\n");
  EXPECT_EQ(s.reference, "baseline");
  EXPECT_EQ(s.spec["description"], "text");
  EXPECT_EQ(s.spec["points"][1]["set"]["lora.r"], 4);
}

TEST(SweepsExpand, AllCombinationsTogether) {
  ExpandedSweep s = Load(
      "name: all\n"
      "base: {train: {steps: 6}}\n"
      "points:\n"
      "  - {name: a, set: {optim.name: adamw}}\n"
      "  - {name: b, set: {optim.name: paged_adamw_8bit}}\n"
      "grid:\n"
      "  lora.r: [4, 8]\n"
      "zip:\n"
      "  - {train.micro_batch: [1, 2], train.grad_accum: [2, 1]}\n"
      "exclude:\n"
      "  - {optim.name: adamw, train.micro_batch: 2}\n"
      "include:\n"
      "  - {name: extra, lora.r: 32}\n");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"a,lora.r=4,train.micro_batch=1,train.grad_accum=2",
                                                "a,lora.r=8,train.micro_batch=1,train.grad_accum=2",
                                                "b,lora.r=4,train.micro_batch=1,train.grad_accum=2",
                                                "b,lora.r=4,train.micro_batch=2,train.grad_accum=1",
                                                "b,lora.r=8,train.micro_batch=1,train.grad_accum=2",
                                                "b,lora.r=8,train.micro_batch=2,train.grad_accum=1",
                                                "extra"}));
  for (const auto& t : s.trials) EXPECT_EQ(t.train.steps, 6) << t.name;
  EXPECT_EQ(s.trials.back().optim.name, "paged_adamw_8bit");
}

TEST(SweepsExpand, DefaultSweepIsTheDocumentedSmallSweep) {
  ExpandedSweep s = DefaultSweep();
  EXPECT_EQ(s.name, "default");
  EXPECT_EQ(s.file, "");
  EXPECT_EQ(s.gpu_profile, "");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"lora.r=4", "lora.r=8", "lora.r=16"}));
  for (const auto& t : s.trials) {
    EXPECT_EQ(t.model.preset, "tiny");
    EXPECT_EQ(t.quantization.type, "none");
    EXPECT_EQ(t.data.source, "synthetic");
    EXPECT_EQ(t.data.seq_len, 64);
    EXPECT_EQ(t.train.steps, 24);
    EXPECT_EQ(t.train.micro_batch, 4);
    EXPECT_EQ(t.eval.interval, 8);
    EXPECT_EQ(t.eval.sequences, 2);
    EXPECT_EQ(t.optim.name, "adamw");
    EXPECT_DOUBLE_EQ(t.optim.lr, 0.01);
    EXPECT_EQ(t.hardware.device, "auto");  // the GPU when there is one, else the CPU
  }
  qlsweep::testing::ScratchDir dir;
  ExpandedSweep from_file = LoadSweepFile(dir.Write("default.yaml", DefaultSweepYaml()));
  ASSERT_EQ(from_file.trials.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(from_file.trials[i].id, s.trials[i].id);
}

TEST(SweepsExpand, ExampleSweepFilesLoad) {
  const std::filesystem::path folder =
      std::filesystem::path(QLSWEEP_SOURCE_DIR) / "sweeps/examples";
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    try {
      ExpandedSweep s = LoadSweepFile(entry.path().string());
      EXPECT_FALSE(s.trials.empty()) << entry.path();
    } catch (const ConfigError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GE(count, 2u);
}

TEST(SweepsExpand, TrialsFailingValidationAreAllReportedWithTheirLines) {
  auto issues = IssuesOf([] {
    LoadSweepText(
        "name: bad\n"
        "base: {train.steps: 4}\n"
        "grid:\n"
        "  train.warmup_steps:\n"
        "    - 2\n"
        "    - 6\n"
        "    - 8\n"
        "  lora.r:\n"
        "    - 4\n"
        "    - 0\n",
        "s.yaml");
  });
  // Trials with lora.r = 0 stop at that value; the cross-field rule is checked on the others.
  ASSERT_EQ(issues.size(), 3u) << Describe(issues);
  EXPECT_EQ(testing::Brief(issues[0]),
            "6: train.warmup_steps: train.warmup_steps (6) may not exceed train.steps (4) "
            "(in trial 'train.warmup_steps=6,lora.r=4')");
  EXPECT_EQ(testing::Brief(issues[1]),
            "7: train.warmup_steps: train.warmup_steps (8) may not exceed train.steps (4) "
            "(in trial 'train.warmup_steps=8,lora.r=4')");
  EXPECT_EQ(testing::Brief(issues[2]), "10: lora.r: must be in [1, 1024], got 0");
}

}  // namespace
}  // namespace qlsweep::sweeps
