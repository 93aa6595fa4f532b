// e2e tier: a sweep stopped from outside (coordinator SIGKILL, Ctrl-C, trial time limit, a trial
// killed by a signal) records each trial once, keeps the database sound, and resumes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <set>

#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::protocol::TrialStatus;

using qlsweep::e2e::BackgroundQlsweep;
using qlsweep::e2e::CountStatus;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::e2e::TrialsNow;
using qlsweep::e2e::WaitFor;
using qlsweep::storage::TrialRow;
using SweepInterruption = qlsweep::e2e::E2eTest;

const TrialRow* FindStatus(const std::vector<TrialRow>& rows, TrialStatus status) {
  for (const auto& row : rows) {
    if (row.status == status) return &row;
  }
  return nullptr;
}

// The one trial process of `coordinator` once the index shows a trial running with
// `done_before` trials done, paused with SIGSTOP as soon as it is seen, so that it cannot end on
// its own while the test stops its coordinator (on a loaded machine a short trial once did);
// 0 when that does not happen within 60 s.
pid_t PausedTrialProcess(const BackgroundQlsweep& coordinator, const std::string& db,
                         const std::string& sweep, int done_before) {
  pid_t child = 0;
  WaitFor(
      [&] {
        const auto rows = TrialsNow(db, sweep);
        if (CountStatus(rows, TrialStatus::kDone) != done_before ||
            CountStatus(rows, TrialStatus::kRunning) != 1) {
          return false;
        }
        child = qlsweep::e2e::ExecedChild(coordinator.pid());
        return child > 0;
      },
      60);
  if (child > 0 && !qlsweep::e2e::PauseProcess(child)) return 0;  // it ended before the pause
  return child;
}

TEST_F(SweepInterruption, ResumesAfterTheCoordinatorIsKilled) {
  // This test process adopts the orphaned trial process, so it can see how that process ended.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const auto sweep = WriteSweep(TinyCpuSweep("sigkill", "lora.r: [2, 4, 8]", 8));
  BackgroundQlsweep coordinator({"run", sweep, "--db", db_}, (dir_ / "run1.log").string());
  const pid_t trial = PausedTrialProcess(coordinator, db_, "sigkill", 1);
  ASSERT_GT(trial, 0) << "no state with one trial done and one running";
  const std::string interrupted_id =
      FindStatus(TrialsNow(db_, "sigkill"), TrialStatus::kRunning)->id;

  ASSERT_EQ(kill(coordinator.pid(), SIGKILL), 0);
  EXPECT_EQ(coordinator.Wait(10), 128 + SIGKILL);
  // PR_SET_PDEATHSIG: the trial dies with its coordinator, of SIGKILL (which ends a stopped
  // process too).
  int status = 0;
  ASSERT_TRUE(WaitFor([&] { return waitpid(trial, &status, WNOHANG) == trial; }, 10))
      << "trial process " << trial << " outlived its coordinator";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(qlsweep::e2e::TrialsNow(db_, "sigkill").size(), 3u);

  const auto again = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
  EXPECT_EQ(*index->Query("SELECT count(*) FROM trials").rows[0][0], "3");
  EXPECT_EQ(*index->Query("SELECT count(*) FROM sweep_trials").rows[0][0], "3");
  for (const auto& t : index->Trials("sigkill")) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.status, TrialStatus::kDone) << t.error;
    EXPECT_EQ(t.attempts, t.id == interrupted_id ? 2 : 1);
    // The re-run wrote a fresh series: no rows of the killed attempt are left in it.
    EXPECT_EQ(qlsweep::storage::ReadSeries(t.h5_path, "train/step").size(), 8u);
  }
}

TEST_F(SweepInterruption, CtrlCRecordsTheRunningTrialKilledAndStops) {
  // The trial is paused while the coordinator is stopped, so it is still running when the
  // coordinator's SIGTERM reaches it (unpaused, a 60-step trial once ended first in CI, between
  // the test seeing it and the coordinator handling SIGINT).
  const auto sweep = WriteSweep(TinyCpuSweep("sigint", "lora.r: [2, 4]", 20));
  BackgroundQlsweep coordinator({"run", sweep, "--db", db_}, (dir_ / "run1.log").string());
  const pid_t trial = PausedTrialProcess(coordinator, db_, "sigint", 0);
  ASSERT_GT(trial, 0) << "no state with one trial running";
  ASSERT_EQ(kill(coordinator.pid(), SIGINT), 0);
  EXPECT_TRUE(WaitFor([&] { return qlsweep::e2e::SignalPending(trial, SIGTERM); }, 20))
      << "the coordinator did not forward a stop to trial process " << trial;
  ASSERT_EQ(kill(trial, SIGCONT), 0);
  EXPECT_EQ(coordinator.Wait(20), 130);

  auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
  EXPECT_EQ(*index->Query("PRAGMA integrity_check").rows[0][0], "ok");
  const auto rows = index->Trials("sigint");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, TrialStatus::kKilled);
  EXPECT_EQ(rows[0].signal, SIGTERM);  // the stop the coordinator forwarded
  EXPECT_NE(rows[0].error.find("interrupt"), std::string::npos) << rows[0].error;
  EXPECT_FALSE(rows[0].finished_at.empty());
  EXPECT_EQ(rows[1].status, TrialStatus::kPlanned);  // no further trial started
  EXPECT_EQ(rows[1].attempts, 0);

  const auto again = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  for (const auto& t : index->Trials("sigint")) {
    EXPECT_EQ(t.status, TrialStatus::kDone) << t.name << ": " << t.error;
    EXPECT_EQ(t.attempts, t.id == rows[0].id ? 2 : 1) << t.name;
  }
}

TEST_F(SweepInterruption, TrialPastTheTimeLimitIsRecordedTimeoutAndTheSweepGoesOn) {
  // The first trial would run for hours; the second fails at once (its data file is missing),
  // so the limit cannot catch it even on a busy machine.
  const auto sweep = WriteSweep(TinyCpuSweep(
      "slow", "data.source: [synthetic, tokens]\n  data.path: [/nonexistent/tokens.jsonl]",
      100000));
  const auto result = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --timeout 3");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const auto rows = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("slow");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].params.at("data.source"), "synthetic");
  EXPECT_EQ(rows[0].status, TrialStatus::kTimeout);
  EXPECT_NE(rows[0].error.find("time limit"), std::string::npos) << rows[0].error;
  EXPECT_GE(rows[0].wall_s, 3.0);
  EXPECT_LT(rows[0].wall_s, 7.5);  // SIGTERM ended it; no wait for the 5 s SIGKILL fallback
  EXPECT_EQ(rows[1].attempts, 1);  // the sweep went on
  EXPECT_EQ(rows[1].status, TrialStatus::kFailed) << rows[1].error;

  // A timeout is final until --retry-failed: running again re-runs nothing.
  ASSERT_EQ(RunQlsweep("run " + sweep + " --db " + db_ + " --quiet").exit_code, 0);
  EXPECT_EQ(qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trial(rows[0].id)->attempts, 1);
}

TEST_F(SweepInterruption, TrialKilledBySignalIsRecordedAndTheSweepGoesOn) {
  // What the kernel's OOM killer (or a user's kill -9) does to a trial process.
  const auto sweep = WriteSweep(TinyCpuSweep("crash", "train.steps: [100000, 6]"));
  BackgroundQlsweep coordinator({"run", sweep, "--db", db_}, (dir_ / "run1.log").string());
  const pid_t trial = PausedTrialProcess(coordinator, db_, "crash", 0);
  ASSERT_GT(trial, 0);
  ASSERT_EQ(kill(trial, SIGKILL), 0);
  EXPECT_EQ(coordinator.Wait(60), 0);

  const auto rows = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("crash");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].params.at("train.steps"), "100000");
  EXPECT_EQ(rows[0].status, TrialStatus::kKilled);
  EXPECT_EQ(rows[0].signal, SIGKILL);
  EXPECT_NE(rows[0].error.find("signal 9"), std::string::npos) << rows[0].error;
  EXPECT_EQ(rows[1].status, TrialStatus::kDone) << rows[1].error;
}

}  // namespace
