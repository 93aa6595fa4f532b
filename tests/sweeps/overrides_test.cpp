// Command-line overrides and multirun axes applied to sweeps and trial files (sweeps/overrides.h).
#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/overrides.h"
#include "sweeps/resolve.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Describe;
using testing::IssuesOf;

// A grid over lora.r and a zip of micro-batch x accumulation, a point-free base, an exclude.
const char* kSweep = R"(name: s
reference: lora.r=8,train.micro_batch=1,train.grad_accum=2
base:
  train: {steps: 8, warmup_steps: 0}
  data.seq_len: 64
grid:
  lora.r: [4, 8]
zip:
  - train.micro_batch: [1, 2]
    train.grad_accum: [2, 1]
exclude:
  - {lora.r: 4, train.micro_batch: 2}
)";

std::string Names(const ExpandedSweep& sweep) {
  std::string out;
  for (const auto& t : sweep.trials) out += (out.empty() ? "" : " ") + t.name;
  return out;
}

ExpandedSweep Load(const std::vector<std::string>& args, bool multirun = false) {
  try {
    return LoadSweepText(kSweep, "s.yaml", CommandLineOverrides{args, multirun});
  } catch (const ConfigError& e) {
    ADD_FAILURE() << e.what();
    return {};
  }
}

struct SweepCase {
  std::string label;
  std::vector<std::string> args;
  bool multirun;
  std::string names;      // the trials, in order
  std::string reference;  // the reference after the overrides
};

class SweepOverrides : public ::testing::TestWithParam<SweepCase> {};

TEST_P(SweepOverrides, ExpandToTheseTrials) {
  const auto& c = GetParam();
  const auto sweep = Load(c.args, c.multirun);
  EXPECT_EQ(Names(sweep), c.names);
  EXPECT_EQ(sweep.reference, c.reference);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SweepOverrides,
    ::testing::Values(
        SweepCase{"none",
                  {},
                  false,
                  "lora.r=4,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=2,train.grad_accum=1",
                  "lora.r=8,train.micro_batch=1,train.grad_accum=2"},
        // A base key: the names stay, every trial changes.
        SweepCase{"base_key",
                  {"train.steps=20"},
                  false,
                  "lora.r=4,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=2,train.grad_accum=1",
                  "lora.r=8,train.micro_batch=1,train.grad_accum=2"},
        // Pinning an axis key removes the axis; the exclude keeps its other key; the reference
        // no longer names a trial and is dropped with a note.
        SweepCase{
            "pin_grid_axis", {"lora.r=4"}, false, "train.micro_batch=1,train.grad_accum=2", ""},
        // Pinning a zip key leaves the rest of the group.
        SweepCase{"pin_zip_key",
                  {"train.micro_batch=1"},
                  false,
                  "lora.r=4,train.grad_accum=2 lora.r=4,train.grad_accum=1 "
                  "lora.r=8,train.grad_accum=2 lora.r=8,train.grad_accum=1",
                  ""},
        // -m replaces the values of an axis in place.
        SweepCase{"multirun_replaces_axis",
                  {"lora.r=16,32"},
                  true,
                  "lora.r=16,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=16,train.micro_batch=2,train.grad_accum=1 "
                  "lora.r=32,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=32,train.micro_batch=2,train.grad_accum=1",
                  ""},
        // -m on a new key appends an axis that varies fastest; a lone value is an override.
        SweepCase{"multirun_adds_axis",
                  {"lora.r=8", "data.seq_len=32,64"},
                  true,
                  "train.micro_batch=1,train.grad_accum=2,data.seq_len=32 "
                  "train.micro_batch=1,train.grad_accum=2,data.seq_len=64 "
                  "train.micro_batch=2,train.grad_accum=1,data.seq_len=32 "
                  "train.micro_batch=2,train.grad_accum=1,data.seq_len=64",
                  ""},
        // A list key takes list values; -m separates them at top-level commas only.
        SweepCase{"multirun_list_key",
                  {"lora.r=8", "lora.targets=[q,v],[q,k,v,o]"},
                  true,
                  "train.micro_batch=1,train.grad_accum=2,lora.targets=[q,v] "
                  "train.micro_batch=1,train.grad_accum=2,lora.targets=[q,k,v,o] "
                  "train.micro_batch=2,train.grad_accum=1,lora.targets=[q,v] "
                  "train.micro_batch=2,train.grad_accum=1,lora.targets=[q,k,v,o]",
                  ""},
        SweepCase{"sweep_keys",
                  {"name=other", "reference=lora.r=4,train.micro_batch=1,train.grad_accum=2"},
                  false,
                  "lora.r=4,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=1,train.grad_accum=2 "
                  "lora.r=8,train.micro_batch=2,train.grad_accum=1",
                  "lora.r=4,train.micro_batch=1,train.grad_accum=2"}),
    [](const auto& info) { return info.param.label; });

TEST(SweepOverridesRecord, ValuesNameAndSpecRecordTheOverrides) {
  const auto sweep = Load({"train.steps=20", "name=renamed", "gpu_profile=rtx4050-laptop-6gb"});
  EXPECT_EQ(sweep.name, "renamed");
  EXPECT_EQ(sweep.gpu_profile, "rtx4050-laptop-6gb");
  for (const auto& t : sweep.trials) {
    EXPECT_EQ(t.train.steps, 20);
    EXPECT_EQ(t.hardware.gpu_profile, "rtx4050-laptop-6gb");
  }
  EXPECT_EQ(sweep.spec["overrides"],
            nlohmann::json({"train.steps=20", "name=renamed", "gpu_profile=rtx4050-laptop-6gb"}));
  EXPECT_EQ(sweep.spec["name"], "renamed");
}

TEST(SweepOverridesRecord, DroppedReferenceAndExcludeAreNoted) {
  const auto sweep = Load({"lora.r=16,32"}, /*multirun=*/true);
  ASSERT_EQ(sweep.notes.size(), 2u) << ::testing::PrintToString(sweep.notes);
  EXPECT_NE(sweep.notes[0].find("exclude entry at line 12"), std::string::npos) << sweep.notes[0];
  EXPECT_NE(sweep.notes[1].find("reference"), std::string::npos) << sweep.notes[1];
}

TEST(SweepOverridesRecord, NameStandsInForAMissingName) {
  const auto sweep = LoadSweepText("grid: {lora.r: [4, 8]}\n", "s.yaml", {{"name=x"}, false});
  EXPECT_EQ(sweep.name, "x");
  EXPECT_EQ(Names(sweep), "lora.r=4 lora.r=8");
}

struct BadCase {
  std::string label;
  std::vector<std::string> args;
  bool multirun;
  std::string key;
  std::string message;  // a substring of the one issue
};

class BadOverrides : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadOverrides, AreReportedFromTheCommandLine) {
  const auto& c = GetParam();
  const auto issues = IssuesOf([&] {
    LoadSweepText(kSweep, "s.yaml", CommandLineOverrides{c.args, c.multirun});
  });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(issues[0].file, kCommandLine);
  EXPECT_EQ(issues[0].line, 0);
  EXPECT_EQ(issues[0].key, c.key);
  EXPECT_NE(issues[0].message.find(c.message), std::string::npos) << issues[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadOverrides,
    ::testing::Values(
        BadCase{"typo", {"lora.rank=8"}, false, "lora.rank", "did you mean 'lora.r'?"},
        BadCase{"section_typo", {"lorra.r=8"}, false, "lorra.r", "did you mean 'lora.r'?"},
        BadCase{"not_key_value", {"lora.r"}, false, "", "expected KEY=VALUE"},
        BadCase{"range", {"lora.r=0"}, false, "lora.r", "must be in [1, 1024], got 0"},
        BadCase{"type", {"train.steps=many"}, false, "train.steps", "expected an integer"},
        BadCase{"quoted_number", {"lora.r='8'"}, false, "lora.r", "string '8'"},
        BadCase{"choice", {"quantization.type=nf5"}, false, "quantization.type", "one of"},
        BadCase{"commas_without_m", {"lora.r=4,8"}, false, "lora.r", "pass -m"},
        BadCase{"list_hint", {"lora.targets=q,v"}, false, "lora.targets", "[q,v]"},
        BadCase{"twice", {"lora.r=4", "lora.r=8"}, false, "lora.r", "given twice"},
        BadCase{"repeated_value", {"lora.r=4,4"}, true, "lora.r", "given twice"},
        BadCase{"gpu_profile", {"gpu_profile=rtx9999"}, false, "gpu_profile", "unknown"},
        BadCase{"sweep_key_one_value", {"name=a,b"}, true, "name", "[A-Za-z0-9_.-]"},
        BadCase{"bad_name", {"name=a b"}, false, "name", "[A-Za-z0-9_.-]"},
        BadCase{"repeat_zero", {"repeat=0"}, false, "repeat", "[1, 1000]"},
        BadCase{"mapping", {"lora.r={a: 1}"}, false, "lora.r", "mapping"}),
    [](const auto& info) { return info.param.label; });

TEST(TrialOverrides, ApplyLastAndDropTheWrittenId) {
  const auto trial = LoadTrialText("id: 0123456789ab\nlora: {r: 4}\ntrain.steps: 8\n", "t.yaml",
                                   {{"lora.r=8", "name=mine", "lora.targets=[v,q]"}, false});
  EXPECT_EQ(trial.lora.r, 8);
  EXPECT_EQ(trial.train.steps, 8);
  EXPECT_EQ(trial.name, "mine");
  EXPECT_EQ(trial.lora.targets, (std::vector<std::string>{"q", "v"}));
}

TEST(TrialOverrides, SweepKeysAndMultirunAreRefused) {
  auto issues = IssuesOf([] { LoadTrialText("lora.r: 4\n", "t.yaml", {{"repeat=2"}, false}); });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_NE(issues[0].message.find("unknown key 'repeat'"), std::string::npos);
  issues = IssuesOf([] { LoadTrialText("lora.r: 4\n", "t.yaml", {{"lora.r=4,8"}, true}); });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_NE(issues[0].message.find("one trial"), std::string::npos);
}

TEST(TrialOverrides, FileAndCommandLineProblemsAreReportedTogether) {
  const auto issues = IssuesOf([] {
    LoadTrialText("lora.rank: 4\n", "t.yaml", {{"train.stepz=4"}, false});
  });
  ASSERT_EQ(issues.size(), 2u) << Describe(issues);
  EXPECT_EQ(issues[0].ToString(),
            "command line: train.stepz: unknown key 'train.stepz'; did you mean 'train.steps'?");
  EXPECT_EQ(issues[1].ToString(),
            "t.yaml:1: lora.rank: unknown key 'lora.rank'; did you mean "
            "'lora.r'?");
}

TEST(OverrideArgs, TellKeyValueFromFileNames) {
  EXPECT_TRUE(IsOverrideArg("lora.r=8"));
  EXPECT_TRUE(IsOverrideArg("model.weights="));
  EXPECT_FALSE(IsOverrideArg("sweep.yaml"));
  EXPECT_FALSE(IsOverrideArg("=8"));
  EXPECT_FALSE(IsOverrideArg("dir/a=b.yaml"));
}

}  // namespace
}  // namespace qlsweep::sweeps
