// e2e tier: KEY=VALUE overrides and -m (multirun) on `run`, `train` and `estimate`, with the
// trials they record.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::RunQlsweep;
using qlsweep::protocol::TrialStatus;
using OverridesEndToEnd = qlsweep::e2e::E2eTest;

TEST_F(OverridesEndToEnd, RunRecordsTheOverriddenTrialsAndMultirunAddsAnAxis) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("ov", "lora.r: [2, 4]", 6));
  // Pinning the axis key: one trial, 3 steps.
  auto pinned = RunQlsweep("run " + sweep + " lora.r=2 train.steps=3 --db " + db_ + " --quiet");
  ASSERT_EQ(pinned.exit_code, 0) << pinned.out;
  auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
  auto trials = index->Trials("ov");
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].name, "base");
  EXPECT_EQ(trials[0].params.at("train.steps"), "3");
  EXPECT_EQ(trials[0].status, TrialStatus::kDone) << trials[0].error;
  const auto spec = nlohmann::json::parse(index->Sweep("ov")->spec_json);
  EXPECT_EQ(spec["overrides"], nlohmann::json({"lora.r=2", "train.steps=3"}));

  // -m replaces the axis' values; r=2 with 3 steps is the trial above: not run again.
  auto multi =
      RunQlsweep("run " + sweep + " -m lora.r=2,8 train.steps=3 --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(multi.exit_code, 0) << multi.out;
  EXPECT_NE(multi.out.find("ran 1 (done 1, "), std::string::npos) << multi.out;
  EXPECT_NE(multi.out.find("; 1 already recorded"), std::string::npos) << multi.out;
  trials = index->Trials("ov");
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[1].name, "lora.r=8");
  EXPECT_EQ(trials[1].params.at("train.steps"), "3");
  for (const auto& t : trials) EXPECT_EQ(t.attempts, 1) << t.name;

  // name= keeps an overridden run apart from the file's own sweep.
  auto named =
      RunQlsweep("run " + sweep + " name=ov-r8 lora.r=8 train.steps=3 --db " + db_ + " --quiet");
  ASSERT_EQ(named.exit_code, 0) << named.out;
  EXPECT_EQ(index->Trials("ov-r8").size(), 1u);
}

TEST_F(OverridesEndToEnd, BadOverridesRunNothingAndSayWhere) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("bad", "lora.r: [2, 4]"));
  struct Case {
    std::string args, message;
  };
  for (const auto& c : {
           Case{"lora.rank=8",
                "command line: lora.rank: unknown key 'lora.rank'; did you mean "
                "'lora.r'?"},
           Case{"lora.r=0", "command line: lora.r: must be in [1, 1024], got 0"},
           Case{"lora.r=4,8", "pass -m (multirun)"},
           Case{"train.warmup_steps=9", "train.warmup_steps"},  // > train.steps: a trial's rule
       }) {
    auto result = RunQlsweep("run " + sweep + " " + c.args + " --db " + db_ + " --quiet 2>&1");
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.out;
    EXPECT_NE(result.out.find(c.message), std::string::npos) << c.args << "\n" << result.out;
    EXPECT_FALSE(std::filesystem::exists(db_)) << c.args;
  }
}

TEST_F(OverridesEndToEnd, TrainAndEstimateTakeOverrides) {
  const auto trial = scratch_->Write(
      "trial.yaml",
      "model.preset: tiny\nquantization.type: none\ndata.seq_len: 32\ntrain: {steps: 4, "
      "warmup_steps: 0}\noptim.name: adamw\neval.sequences: 2\nhardware.device: cpu\n");
  auto train = RunQlsweep("train " + trial + " train.steps=2 lora.r=2");
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const auto done = nlohmann::json::parse(train.out.substr(train.out.rfind("{\"")));
  EXPECT_EQ(done["steps"], 2);

  auto bad = RunQlsweep("train " + trial + " train.step=2 2>&1");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("did you mean 'train.steps'?"), std::string::npos) << bad.out;

  auto r4 = RunQlsweep("estimate " + trial + " lora.r=4 model.preset=llama2-7b --format csv");
  auto r64 = RunQlsweep("estimate " + trial + " lora.r=64 model.preset=llama2-7b --format csv");
  ASSERT_EQ(r4.exit_code, 0) << r4.out;
  ASSERT_EQ(r64.exit_code, 0) << r64.out;
  EXPECT_NE(r4.out, r64.out);  // the adapters' share of the budget grows with the rank
  auto multirun = RunQlsweep("estimate " + trial + " -m lora.r=4,8 2>&1");
  EXPECT_EQ(multirun.exit_code, 2) << multirun.out;
}

}  // namespace
