// Sharded trials under the coordinator (real mpirun, CPU ranks): a sweep over hardware.gpus and
// distributed.zero_stage records every trial, and a rank killed mid-trial ends its trial as failed
// naming the rank, without hanging the sweep.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <vector>

#include "protocol/result_keys.h"
#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::e2e::BackgroundQlsweep;
using qlsweep::e2e::ChildrenOf;
using qlsweep::e2e::CountStatus;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::e2e::TrialsNow;
using qlsweep::e2e::WaitFor;
using qlsweep::protocol::TrialStatus;
using ShardedSweep = qlsweep::e2e::E2eTest;

TEST_F(ShardedSweep, RecordsOneAndTwoRankTrialsAtEveryStage) {
  const auto sweep = WriteSweep(TinyCpuSweep(
      "sharded", "hardware.gpus: [1, 2]\n  distributed.zero_stage: [0, 3]", /*steps=*/3));
  BackgroundQlsweep run({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "run.log").string());
  ASSERT_EQ(run.Wait(240), 0);
  const auto rows = TrialsNow(db_, "sharded");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(CountStatus(rows, TrialStatus::kDone), 4);
  for (const auto& row : rows) {
    if (row.params.at("hardware.gpus") == "2") {
      EXPECT_EQ(row.results.at(std::string(qlsweep::protocol::result::kWorldSize)), 2) << row.name;
    }
  }
}

// The ranks of the sweep's one trial: the children of its mpirun (the coordinator's child).
std::vector<pid_t> Ranks(pid_t coordinator) {
  const auto launcher = ChildrenOf(coordinator);
  return launcher.size() == 1 ? ChildrenOf(launcher[0]) : std::vector<pid_t>{};
}

TEST_F(ShardedSweep, AKilledRankEndsItsTrialAsFailedNamingTheRank) {
  const auto sweep = WriteSweep(TinyCpuSweep("killed", "hardware.gpus: [2]", /*steps=*/100000));
  BackgroundQlsweep run({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "run.log").string());
  std::vector<pid_t> ranks;
  ASSERT_TRUE(WaitFor(
      [&] {
        ranks = Ranks(run.pid());
        const auto rows = TrialsNow(db_, "killed");
        return ranks.size() == 2 && CountStatus(rows, TrialStatus::kRunning) == 1;
      },
      60));
  // Into training: the first step is in the trial's series (a fixed sleep could end before the
  // ranks finished starting on a loaded machine).
  const auto series = dir_ / "series" / (TrialsNow(db_, "killed").at(0).id + ".h5");
  ASSERT_TRUE(WaitFor(
      [&] {
        try {
          return !qlsweep::storage::ReadSeries(series.string(), "train/step").empty();
        } catch (const qlsweep::storage::StorageError&) {
          return false;  // not created yet
        }
      },
      60))
      << series << " got no step";
  ASSERT_EQ(::kill(ranks[1], SIGKILL), 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run.Wait(60), 0) << "the sweep did not end within 60 s of the kill";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  const auto rows = TrialsNow(db_, "killed");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, TrialStatus::kFailed);
  EXPECT_NE(rows[0].error.find("rank"), std::string::npos) << rows[0].error;
  EXPECT_NE(rows[0].error.find("signal 9"), std::string::npos) << rows[0].error;
}

}  // namespace
