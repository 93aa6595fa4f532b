// e2e tier: one coordinator per run index (a second `run` is turned away naming the first, the
// lock dies with its holder), and readers never see "database is locked" while a sweep writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::e2e::BackgroundQlsweep;
using qlsweep::e2e::CountStatus;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::e2e::TrialsNow;
using qlsweep::e2e::WaitFor;
using OneCoordinator = qlsweep::e2e::E2eTest;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(OneCoordinator, ASecondRunOnTheSameDatabaseIsTurnedAwayNamingTheFirst) {
  const auto sweep = WriteSweep(TinyCpuSweep("twice", "lora.r: [2, 4, 8]", 8));
  BackgroundQlsweep first({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "first.log").string());
  ASSERT_TRUE(WaitFor(
      [&] {
        return CountStatus(TrialsNow(db_, "twice"), qlsweep::protocol::TrialStatus::kRunning) == 1;
      },
      60));

  const auto start = std::chrono::steady_clock::now();
  const auto second = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(second.exit_code, 75) << second.out;
  EXPECT_TRUE(Has(second.out, "is in use by another `qlsweep run` (pid " +
                                  std::to_string(first.pid()) + " on host "))
      << second.out;
  EXPECT_TRUE(Has(second.out, "nothing was run")) << second.out;
  // Through another spelling of the same path too.
  const auto relative =
      RunQlsweep("run " + sweep + " --db " + (dir_ / "." / "runs.db").string() + " 2>&1");
  EXPECT_EQ(relative.exit_code, 75) << relative.out;

  ASSERT_EQ(first.Wait(120), 0) << ReadText((dir_ / "first.log").string());
  for (const auto& t : TrialsNow(db_, "twice")) {
    EXPECT_EQ(t.status, qlsweep::protocol::TrialStatus::kDone) << t.name;
    EXPECT_EQ(t.attempts, 1) << t.name << " ran more than once";
  }
  // Once the first has ended, a run is welcome again (and has nothing left to do).
  const auto third = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_EQ(third.exit_code, 0) << third.out;
  EXPECT_TRUE(Has(third.out, "3 already recorded")) << third.out;
}

TEST_F(OneCoordinator, TheLockDiesWithItsHolder) {
  const auto sweep = WriteSweep(TinyCpuSweep("killed", "lora.r: [2, 4]", 8));
  BackgroundQlsweep first({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "first.log").string());
  ASSERT_TRUE(WaitFor(
      [&] {
        return CountStatus(TrialsNow(db_, "killed"), qlsweep::protocol::TrialStatus::kRunning) == 1;
      },
      60));
  EXPECT_TRUE(Has(ReadText(db_ + ".lock"), "pid " + std::to_string(first.pid()) + " on host "));
  ASSERT_EQ(kill(first.pid(), SIGKILL), 0);
  EXPECT_EQ(first.Wait(10), 128 + SIGKILL);

  const auto again = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(CountStatus(TrialsNow(db_, "killed"), qlsweep::protocol::TrialStatus::kDone), 2);
}

TEST_F(OneCoordinator, ReadersNeverSeeTheDatabaseLockedWhileASweepWrites) {
  const auto sweep = WriteSweep(TinyCpuSweep("busy", "lora.r: [2, 4, 8, 16]", 6));
  BackgroundQlsweep writer({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "run.log").string());
  ASSERT_TRUE(WaitFor([&] { return TrialsNow(db_, "busy").size() == 4; }, 60));

  int reads = 0, commands = 0;
  std::vector<std::string> failures;
  int exit_code = -1;
  for (;;) {
    // In process: a fresh read-only connection each time, as a script's reader would open one.
    for (int i = 0; i < 20; ++i, ++reads) {
      try {
        auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
        index->Trials("busy");
        index->Query("SELECT count(*) FROM trial_summary");
      } catch (const std::exception& e) {
        failures.push_back(e.what());
      }
    }
    // The binary's readers.
    for (const std::string command : {"query 'SELECT status, count(*) FROM trials GROUP BY status'",
                                      "table --sweep busy", "runs --sweep busy"}) {
      const auto result = RunQlsweep(command + " --db " + db_ + " 2>&1");
      ++commands;
      if (result.exit_code != 0 || Has(result.out, "locked")) {
        failures.push_back(command + ": exit " + std::to_string(result.exit_code) + ": " +
                           result.out);
      }
    }
    exit_code = writer.Wait(0);
    if (exit_code != -1) break;
  }
  EXPECT_EQ(exit_code, 0) << ReadText((dir_ / "run.log").string());
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed reads, the first: " << failures[0];
  EXPECT_GT(commands, 6);
  EXPECT_GT(reads, 40);
  EXPECT_EQ(CountStatus(TrialsNow(db_, "busy"), qlsweep::protocol::TrialStatus::kDone), 4);
}

}  // namespace
