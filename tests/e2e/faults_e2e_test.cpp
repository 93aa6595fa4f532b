// e2e tier, faults: the coordinator SIGKILLed at random moments and resumed each time, and a full
// disk (RLIMIT_FSIZE) while it writes: every trial recorded once, the run index always sound.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "protocol/exit_codes.h"
#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::e2e::BackgroundQlsweep;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::protocol::TrialStatus;
using qlsweep::storage::RunIndex;
using Faults = qlsweep::e2e::E2eTest;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// PRAGMA integrity_check through the sqlite3 shell ("ok" when sound), which also reads a file
// whose creation was cut short (RunIndex::OpenReadOnly refuses one without the schema).
std::string IntegrityCheck(const std::string& db) {
  return qlsweep::testing::RunShell("sqlite3 -readonly '" + db + "' 'PRAGMA integrity_check'").out;
}

// Every trial of `sweep` done exactly once over, the index sound, each series complete.
void ExpectCompleteAndSound(const std::string& db, const std::string& sweep, size_t trials,
                            size_t steps) {
  EXPECT_EQ(IntegrityCheck(db), "ok\n");
  auto index = RunIndex::OpenReadOnly(db);
  EXPECT_EQ(*index->Query("SELECT count(*) FROM trials").rows[0][0], std::to_string(trials));
  EXPECT_EQ(*index->Query("SELECT count(*) FROM sweep_trials").rows[0][0], std::to_string(trials));
  const auto rows = index->Trials(sweep);
  ASSERT_EQ(rows.size(), trials);
  for (const auto& t : rows) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.status, TrialStatus::kDone) << t.error;
    EXPECT_GE(t.attempts, 1);
    EXPECT_EQ(qlsweep::storage::ReadSeries(t.h5_path, "train/step").size(), steps);
  }
}

TEST_F(Faults, CoordinatorKilledAtRandomMomentsResumesToEveryTrialRecordedOnce) {
  // Adopt the trial processes orphaned by each kill, so none is left behind as a zombie.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const char* seed_env = std::getenv("QLSWEEP_FAULT_SEED");
  const unsigned seed = seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10))
                                 : static_cast<unsigned>(std::random_device{}());
  SCOPED_TRACE("QLSWEEP_FAULT_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  // Start-up, planning, a trial mid-way, between trials: 0-2.5 s after the start covers them all.
  std::uniform_int_distribution<int> delay_ms(0, 2500);
  const auto sweep = WriteSweep(TinyCpuSweep("kills", "lora.r: [2, 4, 8, 16]", 6));
  constexpr int kKills = 12;
  for (int kill_no = 0; kill_no < kKills; ++kill_no) {
    const int delay = delay_ms(rng);
    SCOPED_TRACE("kill " + std::to_string(kill_no) + " after " + std::to_string(delay) + " ms");
    const std::string log = (dir_ / ("run" + std::to_string(kill_no) + ".log")).string();
    BackgroundQlsweep coordinator({"run", sweep, "--db", db_, "--quiet"}, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    ASSERT_EQ(kill(coordinator.pid(), SIGKILL), 0);
    const int code = coordinator.Wait(20);
    // It may have finished the whole sweep before the kill landed (exit 0).
    ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << code << "\n" << ReadText(log);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (std::filesystem::exists(db_)) {
      EXPECT_EQ(IntegrityCheck(db_), "ok\n");
    }
  }
  // The orphaned trials die with their coordinator (PR_SET_PDEATHSIG); reap them all.
  qlsweep::e2e::WaitFor([] { return waitpid(-1, nullptr, WNOHANG) < 0; }, 10);

  const auto last = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(last.exit_code, 0) << last.out;
  ExpectCompleteAndSound(db_, "kills", 4, 6);
}

// Runs `qlsweep args` with files limited to `max_bytes` (RLIMIT_FSIZE) and SIGXFSZ ignored, so a
// write past the limit fails with EFBIG as on a full disk instead of killing the process.
qlsweep::testing::CommandResult RunWithFileLimit(const std::string& args, rlim_t max_bytes) {
  struct rlimit saved {};
  EXPECT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = max_bytes;  // the soft limit only, so the test can raise it back
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);  // inherited through exec
  EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  auto result = RunQlsweep(args);
  EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, old_handler);
  return result;
}

TEST_F(Faults, DiskFullWhileWritingGivesAClearErrorAndASoundDatabase) {
  const auto sweep = WriteSweep(TinyCpuSweep("full", "lora.r: [2, 4]", 6));
  // Tiny limits fail the run index itself; larger ones fail a trial's series or the index later.
  for (const rlim_t limit : {rlim_t{4096}, rlim_t{32768}, rlim_t{131072}}) {
    SCOPED_TRACE("RLIMIT_FSIZE " + std::to_string(limit));
    const auto full = RunWithFileLimit("run " + sweep + " --db " + db_ + " --quiet 2>&1", limit);
    ASSERT_LT(full.exit_code, 128) << "killed by a signal:\n" << full.out;
    ASSERT_NE(full.exit_code, 0) << full.out;
    // The message says what happened, not only that something failed.
    EXPECT_NE(full.out.find("the disk may be full or a file size limit reached"), std::string::npos)
        << full.out;
    if (std::filesystem::exists(db_)) {
      EXPECT_EQ(IntegrityCheck(db_), "ok\n");
    }
  }
  // With room again, the same command completes the sweep, each trial recorded once.
  const auto again = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --retry-failed 2>&1");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  ExpectCompleteAndSound(db_, "full", 2, 6);
}

TEST_F(Faults, DiskFullWhileATrialWritesItsSeriesEndsItFailedNamingTheFile) {
  // Before the fix the trial reported the error, then died of SIGSEGV in HDF5's exit handler
  // (it closed the failed file again), so `run` recorded it killed instead of failed.
  const auto trial = scratch_->Write("trial.yaml", R"(model: {preset: tiny}
quantization: {type: none}
data: {seq_len: 32}
train: {steps: 6, micro_batch: 2, warmup_steps: 1}
optim: {name: adamw, lr: 0.01}
eval: {interval: 3, sequences: 2}
hardware: {device: cpu}
)");
  const std::string h5 = (dir_ / "series.h5").string();
  const auto result = RunWithFileLimit("train " + trial + " --h5 " + h5 + " 2>&1", 32768);
  EXPECT_EQ(result.exit_code, qlsweep::protocol::kExitFailed) << result.out;
  EXPECT_NE(result.out.find("series file " + h5), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("File too large"), std::string::npos) << result.out;
}

}  // namespace
