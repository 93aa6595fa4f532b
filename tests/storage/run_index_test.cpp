// RunIndex writes and reads: planning, linking to sweeps, status transitions, outcomes, recovery.
#include <cmath>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using protocol::TrialStatus;

using testing::ScratchDir;

class RunIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = RunIndex::OpenForWrite(dir_.File("runs.sqlite"));
    index_->UpsertSweep({"rank", "sweeps/rank.yaml", "rtx4050", "r8", R"({"name":"rank"})"});
    index_->UpsertSweep({"seq", "sweeps/seq.yaml", "", "", ""});
  }

  static TrialRecord Trial(const std::string& id, const std::string& sweep, int r) {
    return {id,
            sweep,
            "lora.r=" + std::to_string(r),
            R"({"lora":{"r":)" + std::to_string(r) + "}}",
            {{"lora.r", std::to_string(r)},
             {"quantization.type", R"("nf4")"},
             {"quantization.double_quant", "true"},
             {"lora.targets", R"(["q","v"])"}}};
  }

  std::string Count(const std::string& sql) { return *index_->Query(sql).rows.at(0).at(0); }

  ScratchDir dir_;
  std::unique_ptr<RunIndex> index_;
};

TEST_F(RunIndexTest, PlanTrialAddsAPlannedTrialWithParams) {
  EXPECT_EQ(index_->PlanTrial(Trial("a1", "rank", 8)), TrialStatus::kPlanned);
  const auto row = index_->Trial("a1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->sweep, "rank");
  EXPECT_EQ(row->name, "lora.r=8");
  EXPECT_EQ(row->status, TrialStatus::kPlanned);
  EXPECT_EQ(row->config_json, R"({"lora":{"r":8}})");
  EXPECT_EQ(row->attempts, 0);
  EXPECT_FALSE(row->planned_at.empty());
  EXPECT_TRUE(row->started_at.empty());
  EXPECT_EQ(row->params.at("lora.r"), "8");
  EXPECT_EQ(row->params.at("quantization.type"), "nf4");  // JSON string stored unquoted
  EXPECT_EQ(row->params.at("lora.targets"), R"(["q","v"])");
  // Numbers and booleans also land in params.num, so numeric comparisons work in SQL.
  EXPECT_EQ(Count("SELECT num FROM params WHERE trial_id = 'a1' AND key = 'lora.r'"), "8.0");
  EXPECT_EQ(Count("SELECT num FROM params WHERE trial_id = 'a1' AND "
                  "key = 'quantization.double_quant'"),
            "1.0");
  EXPECT_EQ(index_->Query("SELECT num FROM params WHERE trial_id = 'a1' AND key = 'lora.targets'")
                .rows.at(0)
                .at(0),
            std::nullopt);
  EXPECT_FALSE(index_->Trial("missing").has_value());
}

TEST_F(RunIndexTest, PlanningTheSameIdAgainNeverDuplicatesAndKeepsItsStatus) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->MarkRunning("a1", "host", "gpu0");
  index_->RecordOutcome(
      {"a1", TrialStatus::kDone, 0, 0, "", "", "a1.h5", 12.5, {{"tokens_per_s", 100}}});
  EXPECT_EQ(index_->PlanTrial(Trial("a1", "rank", 8)), TrialStatus::kDone);
  EXPECT_EQ(Count("SELECT count(*) FROM trials"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM params WHERE trial_id = 'a1'"), "4");
  EXPECT_EQ(Count("SELECT count(*) FROM sweep_trials"), "1");
  EXPECT_EQ(index_->Trial("a1")->results.at("tokens_per_s"), 100);
}

TEST_F(RunIndexTest, TheSameTrialInASecondSweepIsLinkedNotCopied) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->PlanTrial(Trial("b2", "rank", 16));
  TrialRecord same = Trial("a1", "seq", 8);
  same.name = "seq_len=512";
  index_->MarkRunning("a1", "h", "g");
  EXPECT_EQ(index_->PlanTrial(same), TrialStatus::kRunning);
  EXPECT_EQ(Count("SELECT count(*) FROM trials"), "2");

  const auto rank = index_->Trials("rank");
  ASSERT_EQ(rank.size(), 2u);
  EXPECT_EQ(rank[0].id, "a1");
  EXPECT_EQ(rank[1].id, "b2");
  const auto seq = index_->Trials("seq");
  ASSERT_EQ(seq.size(), 1u);
  EXPECT_EQ(seq[0].id, "a1");
  EXPECT_EQ(seq[0].sweep, "seq");
  EXPECT_EQ(seq[0].name, "seq_len=512");  // the name it has in that sweep
  EXPECT_EQ(seq[0].params.size(), 4u);
  EXPECT_EQ(index_->Trials().size(), 2u);
  EXPECT_EQ(index_->Trial("a1")->sweep, "rank");  // the sweep that planned it first
  EXPECT_TRUE(index_->Trials("none").empty());
}

TEST_F(RunIndexTest, PlanningRefusesAnUnknownSweepAndAConflictingConfig) {
  EXPECT_THROW(index_->PlanTrial(Trial("a1", "nosuch", 8)), StorageError);
  EXPECT_EQ(Count("SELECT count(*) FROM trials"), "0");  // rolled back
  index_->PlanTrial(Trial("a1", "rank", 8));
  TrialRecord reformatted = Trial("a1", "seq", 8);
  reformatted.config_json = R"({ "lora" : { "r" : 8 } })";
  EXPECT_EQ(index_->PlanTrial(reformatted), TrialStatus::kPlanned);  // same JSON, other spacing
  try {
    index_->PlanTrial(Trial("a1", "seq", 32));
    FAIL() << "a different config under an existing id must be refused";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("different config"), std::string::npos);
  }
}

TEST_F(RunIndexTest, StatusTransitionsFromPlannedThroughRunningToDone) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->MarkRunning("a1", "node7", "NVIDIA H100");
  auto row = index_->Trial("a1");
  EXPECT_EQ(row->status, TrialStatus::kRunning);
  EXPECT_EQ(row->host, "node7");
  EXPECT_EQ(row->gpu, "NVIDIA H100");
  EXPECT_EQ(row->attempts, 1);
  EXPECT_FALSE(row->started_at.empty());
  EXPECT_TRUE(row->finished_at.empty());
  EXPECT_EQ(index_->Trials("rank", TrialStatus::kRunning).size(), 1u);
  EXPECT_TRUE(index_->Trials("rank", TrialStatus::kPlanned).empty());

  index_->RecordOutcome(
      {"a1", TrialStatus::kOom, 3, 0, "CUDA out of memory", "backward", "a1.h5", 4.0, {}});
  row = index_->Trial("a1");
  EXPECT_EQ(row->status, TrialStatus::kOom);
  EXPECT_EQ(row->oom_phase, "backward");
  EXPECT_EQ(row->exit_code, 3);
  EXPECT_EQ(row->error, "CUDA out of memory");
  EXPECT_FALSE(row->finished_at.empty());

  index_->MarkRunning("a1", "node8", "NVIDIA H200");  // a retry clears the previous outcome
  row = index_->Trial("a1");
  EXPECT_EQ(row->status, TrialStatus::kRunning);
  EXPECT_EQ(row->attempts, 2);
  EXPECT_EQ(row->host, "node8");
  EXPECT_TRUE(row->error.empty());
  EXPECT_TRUE(row->oom_phase.empty());
  EXPECT_TRUE(row->finished_at.empty());
}

TEST_F(RunIndexTest, RecordOutcomeStoresResultsAndARetryReplacesThem) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->MarkRunning("a1", "h", "g");
  index_->RecordOutcome(
      {"a1",
       TrialStatus::kDone,
       0,
       0,
       "",
       "",
       "out/a1.h5",
       61.5,
       {{"tokens_per_s", 1234.5}, {"peak_reserved_bytes", 3.0e9}, {"perplexity", std::nan("")}}});
  auto row = index_->Trial("a1");
  EXPECT_EQ(row->status, TrialStatus::kDone);
  EXPECT_EQ(row->h5_path, "out/a1.h5");
  EXPECT_DOUBLE_EQ(row->wall_s, 61.5);
  ASSERT_EQ(row->results.size(), 3u);
  EXPECT_DOUBLE_EQ(row->results.at("tokens_per_s"), 1234.5);
  EXPECT_DOUBLE_EQ(row->results.at("peak_reserved_bytes"), 3.0e9);
  EXPECT_TRUE(std::isnan(row->results.at("perplexity")));  // stored as NULL

  index_->MarkRunning("a1", "h", "g");
  EXPECT_TRUE(index_->Trial("a1")->results.empty());
  index_->RecordOutcome(
      {"a1", TrialStatus::kDone, 0, 0, "", "", "out/a1.h5", 60, {{"tokens_per_s", 999}}});
  row = index_->Trial("a1");
  ASSERT_EQ(row->results.size(), 1u);
  EXPECT_DOUBLE_EQ(row->results.at("tokens_per_s"), 999);
  EXPECT_EQ(row->attempts, 2);
}

TEST_F(RunIndexTest, RecordOutcomeRefusesNonFinalStatusAndUnknownTrial) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  EXPECT_THROW(index_->RecordOutcome({"a1", TrialStatus::kRunning, 0, 0, "", "", "", 0, {}}),
               StorageError);
  EXPECT_THROW(index_->RecordOutcome({"a1", TrialStatus::kPlanned, 0, 0, "", "", "", 0, {}}),
               StorageError);
  EXPECT_THROW(index_->RecordOutcome({"zz", TrialStatus::kDone, 0, 0, "", "", "", 0, {{"x", 1}}}),
               StorageError);
  EXPECT_THROW(index_->MarkRunning("zz", "h", "g"), StorageError);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), "0");
  EXPECT_EQ(index_->Trial("a1")->status, TrialStatus::kPlanned);
}

TEST_F(RunIndexTest, RecoverStaleRunningKillsOnlyRunningTrialsOfThatSweep) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->PlanTrial(Trial("a2", "rank", 16));
  index_->PlanTrial(Trial("a3", "rank", 32));
  index_->PlanTrial(Trial("b1", "seq", 64));
  index_->MarkRunning("a1", "h", "g");
  index_->MarkRunning("a2", "h", "g");
  index_->RecordOutcome({"a2", TrialStatus::kDone, 0, 0, "", "", "", 1, {}});
  index_->MarkRunning("b1", "h", "g");

  EXPECT_EQ(index_->RecoverStaleRunning("rank"), 1);
  const auto a1 = index_->Trial("a1");
  EXPECT_EQ(a1->status, TrialStatus::kKilled);
  EXPECT_EQ(a1->error, "coordinator stopped while the trial ran");
  EXPECT_FALSE(a1->finished_at.empty());
  EXPECT_EQ(index_->Trial("a2")->status, TrialStatus::kDone);
  EXPECT_EQ(index_->Trial("a3")->status, TrialStatus::kPlanned);
  EXPECT_EQ(index_->Trial("b1")->status,
            TrialStatus::kRunning);  // another sweep's trial is left alone
  EXPECT_EQ(index_->RecoverStaleRunning("rank"), 0);
}

TEST_F(RunIndexTest, RecordEnvironmentReplacesTheTrialsRows) {
  index_->PlanTrial(Trial("a1", "rank", 8));
  index_->RecordEnvironment("a1", {{"gpu", "H100"}, {"driver", "580"}});
  index_->RecordEnvironment("a1", {{"gpu", "H200"}, {"cuda", "13.0"}});
  const QueryResult env =
      index_->Query("SELECT key, value FROM environment WHERE trial_id = 'a1' ORDER BY key");
  ASSERT_EQ(env.rows.size(), 2u);
  EXPECT_EQ(*env.rows[0][0], "cuda");
  EXPECT_EQ(*env.rows[1][1], "H200");
  EXPECT_THROW(index_->RecordEnvironment("zz", {{"gpu", "x"}}), StorageError);
}

TEST_F(RunIndexTest, UpsertSweepUpdatesButKeepsCreatedAt) {
  const std::string created = Count("SELECT created_at FROM sweeps WHERE name = 'rank'");
  index_->UpsertSweep({"rank", "other.yaml", "", "r16", "{}"});
  const QueryResult sweep =
      index_->Query("SELECT file, reference, created_at FROM sweeps WHERE name = 'rank'");
  EXPECT_EQ(*sweep.rows.at(0)[0], "other.yaml");
  EXPECT_EQ(*sweep.rows.at(0)[1], "r16");
  EXPECT_EQ(*sweep.rows.at(0)[2], created);
  EXPECT_EQ(Count("SELECT count(*) FROM sweeps"), "2");
}

TEST_F(RunIndexTest, TrialSummaryViewHasTheCommonAxesAsColumns) {
  TrialRecord trial = Trial("a1", "rank", 16);
  trial.params["data.seq_len"] = "512";
  trial.params["train.micro_batch"] = "4";
  trial.params["train.grad_accum"] = "2";
  trial.params["optim.name"] = R"("paged_adamw_8bit")";
  trial.params["model.preset"] = R"("tiny")";
  index_->PlanTrial(trial);
  TrialRecord linked = trial;
  linked.sweep = "seq";
  index_->PlanTrial(linked);
  index_->MarkRunning("a1", "h", "g");
  TrialOutcome outcome;
  outcome.id = "a1";
  outcome.status = TrialStatus::kDone;
  outcome.wall_s = 9;
  outcome.results = {{"peak_reserved_bytes", 2.5e9},
                     {"device_peak_bytes", 3e9},
                     {"tokens_per_s", 512},
                     {"final_eval_loss", 2.25},
                     {"perplexity", 9.4877}};
  index_->RecordOutcome(outcome);
  const QueryResult view = index_->Query(
      "SELECT id, sweep, name, status, lora_r, seq_len, micro_batch, grad_accum, quant_type, "
      "optim, preset, peak_reserved_bytes, device_peak_bytes, tokens_per_s, final_eval_loss, "
      "perplexity FROM trial_summary WHERE sweep = 'rank'");
  ASSERT_EQ(view.rows.size(), 1u);
  const std::vector<std::optional<std::string>> expected = {
      "a1",   "rank",  "lora.r=16",        "done", "16",           "512",          "4",
      "2",    "nf4",   "paged_adamw_8bit", "tiny", "2500000000.0", "3000000000.0", "512.0",
      "2.25", "9.4877"};
  EXPECT_EQ(view.rows[0], expected);
  EXPECT_EQ(Count("SELECT count(*) FROM trial_summary"), "2");  // one row per sweep link
  EXPECT_EQ(Count("SELECT count(*) FROM trial_summary WHERE lora_r >= 16 AND status = 'done'"),
            "2");
}

}  // namespace
}  // namespace qlsweep::storage
