// e2e tier: `qlsweep run` on a sweep file, then the SQLite rows and HDF5 series it left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::protocol::TrialStatus;

namespace fs = std::filesystem;

using qlsweep::e2e::RunQlsweep;
using SweepEndToEnd = qlsweep::e2e::E2eTest;

// Two ranks train; a third trial (its data file is missing) fails; the sweep goes on.
const std::string kSweep =
    qlsweep::e2e::TinyCpuSweep("e2e", "lora.r: [2, 4]", 6,
                               "include:\n  - {lora.r: 2, data.source: tokens, data.path: "
                               "/nonexistent/qlsweep-e2e-tokens.jsonl}\n");

TEST_F(SweepEndToEnd, RecordsEveryTrialInSqliteAndHdf5AndResumes) {
  const auto sweep = WriteSweep(kSweep);
  auto first = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("| done"), std::string::npos) << first.out;

  auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
  auto trials = index->Trials("e2e");
  ASSERT_EQ(trials.size(), 3u);
  int done = 0, failed = 0;
  for (const auto& t : trials) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.attempts, 1);
    if (t.status == TrialStatus::kFailed) {
      ++failed;
      EXPECT_EQ(t.params.at("data.source"), "tokens");
      EXPECT_NE(t.error.find("/nonexistent/qlsweep-e2e-tokens.jsonl"), std::string::npos)
          << t.error;
      continue;
    }
    ASSERT_EQ(t.status, TrialStatus::kDone) << t.error;
    ++done;
    // Plausible values: a random model over 512 tokens, whose logits have variance ~1 at
    // initialisation (trainer/model/llama.cpp RandomBase), starts near ln(512) + 1/2 = 6.74
    // (E[logsumexp] of Gaussian logits) and learns.
    const double base = t.results.at("base_eval_loss"), final = t.results.at("final_eval_loss");
    EXPECT_NEAR(base, std::log(512.0) + 0.5, 0.3);
    EXPECT_LT(final, base);
    EXPECT_GT(t.results.at("tokens_per_s"), 0.0);
    EXPECT_GT(t.results.at("peak_reserved_bytes"), 0.0);
    EXPECT_EQ(t.results.at("trainable_params"),
              // r * (in + out) per projection, 7 projections, 2 layers of the tiny preset
              std::stod(t.params.at("lora.r")) * 2 * (2 * 128 + 2 * 96 + 3 * 240));

    const auto loss = qlsweep::storage::ReadSeries(t.h5_path, "train/loss");
    ASSERT_EQ(loss.size(), 6u);
    for (double v : loss) EXPECT_TRUE(std::isfinite(v));
    const auto steps = qlsweep::storage::ReadSeries(t.h5_path, "train/step");
    EXPECT_EQ(steps.front(), 1.0);
    EXPECT_EQ(steps.back(), 6.0);
    const auto eval = qlsweep::storage::ReadSeries(t.h5_path, "eval/eval_loss");
    ASSERT_EQ(eval.size(), 3u);  // base, step 3, step 6
    EXPECT_DOUBLE_EQ(eval.back(), final);
    const auto config =
        nlohmann::json::parse(qlsweep::storage::ReadRootAttribute(t.h5_path, "config"));
    EXPECT_EQ(config["lora"]["r"].dump(), t.params.at("lora.r"));
    EXPECT_EQ(qlsweep::storage::ReadRootAttribute(t.h5_path, "trial_id"), t.id);
  }
  EXPECT_EQ(done, 2);
  EXPECT_EQ(failed, 1);

  // Running again skips what is recorded: no trial is recorded twice or re-run.
  auto second = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet");
  ASSERT_EQ(second.exit_code, 0);
  for (const auto& t : index->Trials("e2e")) EXPECT_EQ(t.attempts, 1) << t.name;
  // --retry-failed re-runs only the failed one.
  auto third = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --retry-failed");
  ASSERT_EQ(third.exit_code, 0);
  for (const auto& t : index->Trials("e2e"))
    EXPECT_EQ(t.attempts, t.status == TrialStatus::kFailed ? 2 : 1);

  auto table = RunQlsweep("table --db " + db_ + " --by lora.r --format csv");
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 4) << table.out;  // header + 3

  // runs --where: numeric comparison on a config parameter (r=4 only; r=2 twice is left out).
  auto where = RunQlsweep("runs --db " + db_ + " --where 'lora.r>=4' --format csv");
  ASSERT_EQ(where.exit_code, 0);
  EXPECT_EQ(std::count(where.out.begin(), where.out.end(), '\n'), 2) << where.out;
  EXPECT_NE(where.out.find("lora.r=4"), std::string::npos) << where.out;
}

TEST_F(SweepEndToEnd, InvalidSweepRunsNothing) {
  const auto sweep = WriteSweep("name: bad\ngrid:\n  lora.rank: [4, 8]\n");
  auto result = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.out.find("lora.r"), std::string::npos) << result.out;  // the suggestion
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(SweepEndToEnd, QueryRefusesWrites) {
  const auto sweep = WriteSweep(kSweep);
  ASSERT_EQ(RunQlsweep("run " + sweep + " --db " + db_ + " --quiet").exit_code, 0);
  auto ok = RunQlsweep("query --db " + db_ + " --format csv \"SELECT count(*) AS n FROM trials\"");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, "n\n3\n");
  auto write = RunQlsweep("query --db " + db_ + " \"DELETE FROM trials\" 2>&1");
  EXPECT_NE(write.exit_code, 0);
  EXPECT_NE(write.out.find("read-only"), std::string::npos) << write.out;
}

}  // namespace

// --save-adapters leaves each finished trial's PEFT adapter under <db dir>/adapters/<id>/, and a
// trial started from it (lora.init, 0 steps) scores the eval loss the sweep recorded.
// A sweep of LoRA and full fine-tuning (the seed report's quality reference) records both;
// --save-adapters saves the LoRA trial's adapter and no folder for the full trial, which records
// every weight as trainable and a falling eval loss.
TEST_F(SweepEndToEnd, FullFineTuningBesideLoraWithSavedAdapters) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep(
      "full", "train.method: [lora, full]\n  lora.r: [2, 4]", 6, "reference: train.method=full\n"));
  auto run = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --save-adapters");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("full");
  ASSERT_EQ(trials.size(), 3u);  // the two full trials are one
  int full = 0;
  for (const auto& t : trials) {
    ASSERT_EQ(t.status, TrialStatus::kDone) << t.name << ": " << t.error;
    const bool is_full = t.name == "train.method=full";
    full += is_full;
    EXPECT_EQ(std::filesystem::exists(dir_ / "adapters" / t.id), !is_full) << t.name;
    if (is_full) {
      EXPECT_EQ(t.params.at("train.method"), "full");
      EXPECT_EQ(t.params.at("lora.r"), "16");               // ignored, recorded at its default
      EXPECT_EQ(t.results.at("trainable_params"), 158016);  // every weight of the tiny model
      EXPECT_LT(t.results.at("final_eval_loss"), t.results.at("base_eval_loss"));
    } else {
      EXPECT_LT(t.results.at("trainable_params"), 30000);  // adapters only
    }
  }
  EXPECT_EQ(full, 1);
}

TEST_F(SweepEndToEnd, SavedAdaptersEvaluateToTheRecordedLoss) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("adapters", "lora.r: [2]", 4));
  auto run = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --save-adapters");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("adapters");
  ASSERT_EQ(trials.size(), 1u);
  const auto& t = trials[0];
  ASSERT_EQ(t.status, TrialStatus::kDone) << t.error;
  const auto adapter = dir_ / "adapters" / t.id;
  ASSERT_TRUE(std::filesystem::exists(adapter / "adapter_config.json")) << adapter;
  ASSERT_TRUE(std::filesystem::exists(adapter / "adapter_model.safetensors")) << adapter;

  // The trial's own config, evaluation only, from the saved adapter.
  auto config = nlohmann::json::parse(std::ifstream(dir_ / "trials" / (t.id + ".json")));
  config.erase("id");
  config.erase("name");
  config["lora"]["init"] = adapter.string();
  config["train"]["steps"] = 0;
  config["train"]["warmup_steps"] = 0;
  const auto trial = dir_ / "eval.json";
  std::ofstream(trial) << config.dump();
  auto eval = RunQlsweep("train " + trial.string());
  ASSERT_EQ(eval.exit_code, 0) << eval.out;
  const auto done = nlohmann::json::parse(eval.out.substr(eval.out.rfind("{\"")));
  EXPECT_NEAR(done["final_eval_loss"].get<double>(), t.results.at("final_eval_loss"), 1e-9);
}
