// mpi tier: `mpirun --oversubscribe -np N qlsweep run` over tiny CPU trials. The farm records each
// trial once with the losses and series of a serial run (N = 2, 3, 4, a sharded trial among
// them); a worker killed with SIGKILL, rank 0 killed, and Ctrl-C end the job, and a re-run
// completes the sweep with every trial recorded once in a sound database; with mpirun
// --enable-recovery the job survives a dead worker and re-queues its trial itself; a trial past
// --timeout is recorded timeout while the farm goes on.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace {

namespace fs = std::filesystem;
using qlsweep::e2e::BackgroundProcess;
using qlsweep::e2e::ChildrenOf;
using qlsweep::e2e::CountStatus;
using qlsweep::e2e::E2eTest;
using qlsweep::e2e::QlsweepBinary;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::e2e::TrialsNow;
using qlsweep::e2e::WaitFor;
using qlsweep::protocol::TrialStatus;
using qlsweep::storage::RunIndex;
using qlsweep::storage::TrialRow;

// Five tiny CPU trials; one is sharded over two ranks (two workers of the farm, its own mpirun).
std::string FarmSweep(const std::string& name, int steps) {
  return TinyCpuSweep(name, "lora.r: [2, 4, 8, 16]", steps,
                      "include:\n  - {lora.r: 8, hardware.gpus: 2}\n");
}

// `mpirun -np N --oversubscribe [extra] qlsweep ARGS...`.
std::vector<std::string> Mpirun(int ranks, const std::vector<std::string>& args,
                                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {QLSWEEP_MPIEXEC, "-np", std::to_string(ranks),
                                   "--oversubscribe"};
  if (geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(QlsweepBinary());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

std::string Scalar(const std::string& db, const std::string& sql) {
  const auto rows = RunIndex::OpenReadOnly(db)->Query(sql).rows;
  return rows.empty() || rows[0].empty() || !rows[0][0] ? "<null>" : *rows[0][0];
}

// Live processes whose command line mentions `text` (a test's scratch folder).
std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::stringstream cmdline;
    cmdline << in.rdbuf();
    if (cmdline.str().find(text) != std::string::npos && std::stoi(name) != getpid()) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

// The rank of the MPI job that `pid` is (from its environment), or -1.
int RankOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  for (std::string entry; std::getline(in, entry, '\0');) {
    if (entry.rfind("OMPI_COMM_WORLD_RANK=", 0) == 0) return std::atoi(entry.c_str() + 21);
  }
  return -1;
}

// A sweep's trials, checked to be recorded once each: as many rows as the sweep has trials, one
// link each, every `done` trial's series holding each step once, and a sound database.
std::vector<TrialRow> RecordedOnce(const std::string& db, const std::string& sweep, size_t trials,
                                   int steps) {
  EXPECT_EQ(Scalar(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM trials"), std::to_string(trials));
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM sweep_trials"), std::to_string(trials));
  const auto rows = TrialsNow(db, sweep);
  EXPECT_EQ(rows.size(), trials);
  for (const auto& row : rows) {
    if (row.status != TrialStatus::kDone) continue;
    std::vector<double> expected;
    for (int s = 1; s <= steps; ++s) expected.push_back(s);
    EXPECT_EQ(qlsweep::storage::ReadSeries(row.h5_path, "train/step"), expected) << row.id;
  }
  return rows;
}

// After a re-run: finished trials never ran again, the others ran once more.
void ExpectRerunOnlyTheUnfinished(const std::vector<TrialRow>& before,
                                  const std::vector<TrialRow>& after) {
  for (const auto& b : before) {
    const auto row =
        std::find_if(after.begin(), after.end(), [&](const TrialRow& a) { return a.id == b.id; });
    ASSERT_NE(row, after.end()) << b.name;
    EXPECT_EQ(row->attempts, b.attempts + (b.status == TrialStatus::kDone ? 0 : 1)) << b.name;
  }
}

class Farm : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    setenv("OMP_NUM_THREADS", "1",
           1);  // ranks and trials share 2 cores; results do not depend on it
    unsetenv("CUDA_VISIBLE_DEVICES");
  }
  void TearDown() override {
    for (pid_t pid : ProcessesMentioning(dir_.string())) kill(pid, SIGKILL);  // a failed test's
    E2eTest::TearDown();
  }
  // Waits until `condition` holds for the trials of `sweep` in `db`.
  bool WaitForTrials(const std::string& db, const std::string& sweep,
                     const std::function<bool(const std::vector<TrialRow>&)>& condition) {
    return WaitFor([&] { return condition(TrialsNow(db, sweep)); }, 90);
  }
  // The lease of a running trial: (worker rank, worker pid), once one is recorded.
  std::pair<int, pid_t> RunningLease(const std::string& db) {
    std::pair<int, pid_t> lease{0, 0};
    WaitFor(
        [&] {
          if (TrialsNow(db, "").empty()) return false;  // not created yet
          const auto rows =
              RunIndex::OpenReadOnly(db)
                  ->Query(
                      "SELECT worker_rank, worker_pid FROM trials WHERE status = 'running' "
                      "AND worker_pid IS NOT NULL ORDER BY started_at LIMIT 1")
                  .rows;
          if (rows.empty()) return false;
          lease = {std::stoi(*rows[0][0]), std::stoi(*rows[0][1])};
          return true;
        },
        90);
    return lease;
  }
  // No trial or rank of this test is left once its job ended (trials die with their worker).
  void ExpectNoLeftovers() {
    EXPECT_TRUE(WaitFor([&] { return ProcessesMentioning(dir_.string()).empty(); }, 15))
        << ProcessesMentioning(dir_.string()).size() << " process(es) left";
  }
};

// The serial run every farm run is compared with: done once per test process.
class FarmRecords : public Farm {
 protected:
  static constexpr int kSteps = 6;
  static void SetUpTestSuite() {
    serial_dir_ = new qlsweep::testing::ScratchDir();
    setenv("OMP_NUM_THREADS", "1", 1);
    unsetenv("CUDA_VISIBLE_DEVICES");
    const auto sweep = serial_dir_->Write("sweep.yaml", FarmSweep("farm", kSteps));
    const auto result =
        RunQlsweep("run " + sweep + " --db " + serial_dir_->File("runs.db") + " --quiet 2>&1");
    ASSERT_EQ(result.exit_code, 0) << result.out;
  }
  static void TearDownTestSuite() { delete serial_dir_; }

  void ExpectSerialRecords(int ranks) {
    const auto sweep = WriteSweep(FarmSweep("farm", kSteps));
    const auto log = (dir_ / "farm.log").string();
    BackgroundProcess farm(Mpirun(ranks, {"run", sweep, "--db", db_}), log);
    ASSERT_EQ(farm.Wait(120), 0) << Joined(Mpirun(ranks, {"run", sweep, "--db", db_}));
    const auto serial_db = serial_dir_->File("runs.db");
    const auto rows = RecordedOnce(db_, "farm", 5, kSteps);
    auto serial = RunIndex::OpenReadOnly(serial_db);
    std::set<int> workers;
    for (const auto& row : rows) {
      SCOPED_TRACE(row.name);
      ASSERT_EQ(row.status, TrialStatus::kDone) << row.error;
      EXPECT_EQ(row.attempts, 1);
      const auto s = serial->Trial(row.id);
      ASSERT_TRUE(s.has_value()) << "a trial id the serial run does not have";
      for (const char* key : {"final_eval_loss", "final_loss", "base_eval_loss"}) {
        EXPECT_EQ(row.results.at(key), s->results.at(key)) << key;  // bit for bit
      }
      // Rank 0 wrote the series from the forwarded events: the serial trial's own numbers.
      for (const char* column : {"train/loss", "train/grad_norm", "eval/eval_loss"}) {
        EXPECT_EQ(qlsweep::storage::ReadSeries(row.h5_path, column),
                  qlsweep::storage::ReadSeries(s->h5_path, column))
            << column;
      }
      EXPECT_TRUE(fs::exists(dir_ / "logs" / (row.id + ".log")));
      const int rank =
          std::stoi(Scalar(db_, "SELECT worker_rank FROM trials WHERE id = '" + row.id + "'"));
      EXPECT_GE(rank, 1);
      EXPECT_LT(rank, ranks);
      EXPECT_NE(Scalar(db_, "SELECT heartbeat_at FROM trials WHERE id = '" + row.id + "'"),
                "<null>");
      workers.insert(rank);
    }
    if (ranks > 2) {
      EXPECT_GE(workers.size(), 2u) << "the first trials start at once";
    }
    ExpectNoLeftovers();
  }

  static qlsweep::testing::ScratchDir* serial_dir_;
};
qlsweep::testing::ScratchDir* FarmRecords::serial_dir_ = nullptr;

TEST_F(FarmRecords, TwoRanksRecordTheSerialRun) { ExpectSerialRecords(2); }
TEST_F(FarmRecords, ThreeRanksRecordTheSerialRun) { ExpectSerialRecords(3); }
TEST_F(FarmRecords, FourRanksRecordTheSerialRun) { ExpectSerialRecords(4); }

constexpr int kLongSteps = 60;  // ~1-3 s a trial on a busy 2-core machine: time to kill

TEST_F(Farm, AKilledWorkerEndsTheJobAndARerunCompletesTheSweep) {
  const auto sweep = WriteSweep(FarmSweep("killed-worker", kLongSteps));
  const std::vector<std::string> args = {"run", sweep, "--db", db_};
  {
    BackgroundProcess farm(Mpirun(3, args), (dir_ / "run1.log").string());
    ASSERT_TRUE(WaitForTrials(db_, "killed-worker", [](const auto& rows) {
      return CountStatus(rows, TrialStatus::kDone) >= 1;
    }));
    const auto [rank, pid] = RunningLease(db_);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_NE(farm.Wait(60), 0) << "Open MPI ends the job when a rank dies";
  }
  ExpectNoLeftovers();
  const auto before = RecordedOnce(db_, "killed-worker", 5, kLongSteps);
  EXPECT_LT(CountStatus(before, TrialStatus::kDone), 5);

  BackgroundProcess rerun(Mpirun(3, args), (dir_ / "run2.log").string());
  ASSERT_EQ(rerun.Wait(120), 0);
  const auto after = RecordedOnce(db_, "killed-worker", 5, kLongSteps);
  EXPECT_EQ(CountStatus(after, TrialStatus::kDone), 5);
  ExpectRerunOnlyTheUnfinished(before, after);
  ExpectNoLeftovers();
}

TEST_F(Farm, AKilledCoordinatorEndsTheJobAndARerunRecoversItsTrials) {
  const auto sweep = WriteSweep(FarmSweep("killed-coordinator", kLongSteps));
  const std::vector<std::string> args = {"run", sweep, "--db", db_};
  {
    BackgroundProcess farm(Mpirun(3, args), (dir_ / "run1.log").string());
    ASSERT_TRUE(WaitForTrials(db_, "killed-coordinator", [](const auto& rows) {
      return CountStatus(rows, TrialStatus::kDone) >= 1 &&
             CountStatus(rows, TrialStatus::kRunning) >= 1;
    }));
    pid_t coordinator = 0;
    for (pid_t rank : ChildrenOf(farm.pid())) {
      if (RankOf(rank) == 0) coordinator = rank;
    }
    ASSERT_GT(coordinator, 0);
    ASSERT_EQ(kill(coordinator, SIGKILL), 0);
    EXPECT_NE(farm.Wait(60), 0);
  }
  ExpectNoLeftovers();
  const auto before = RecordedOnce(db_, "killed-coordinator", 5, kLongSteps);
  EXPECT_GE(CountStatus(before, TrialStatus::kRunning), 1) << "a dead coordinator records nothing";

  BackgroundProcess rerun(Mpirun(3, args), (dir_ / "run2.log").string());
  ASSERT_EQ(rerun.Wait(120), 0);
  const auto after = RecordedOnce(db_, "killed-coordinator", 5, kLongSteps);
  EXPECT_EQ(CountStatus(after, TrialStatus::kDone), 5);
  for (const auto& b : before) {
    if (b.status != TrialStatus::kRunning) continue;
    for (const auto& row : after) {
      if (row.id == b.id) {
        EXPECT_EQ(row.attempts, 2) << row.name << ": recovered and re-run";
      }
    }
  }
  ExpectNoLeftovers();
}

TEST_F(Farm, CtrlCRecordsTheRunningTrialsKilledAndARerunCompletesTheSweep) {
  constexpr int kSteps = 200;
  const auto sweep = WriteSweep(FarmSweep("ctrl-c", kSteps));
  const std::vector<std::string> args = {"run", sweep, "--db", db_};
  {
    BackgroundProcess farm(Mpirun(3, args), (dir_ / "run1.log").string());
    const pid_t worker = RunningLease(db_).second;
    ASSERT_GT(worker, 0);
    // Its trial is paused, so that it is still running when the stop comes (a trial of a few
    // seconds could end on its own first on a loaded machine).
    pid_t trial = 0;
    ASSERT_TRUE(WaitFor([&] { return (trial = qlsweep::e2e::ExecedChild(worker)) > 0; }, 30));
    ASSERT_TRUE(qlsweep::e2e::PauseProcess(trial)) << "the trial ended before it was paused";
    // What `kill -INT` of the job does (a terminal's Ctrl-C also reaches the ranks): mpirun ends
    // the job with SIGTERM to every rank, then SIGKILL.
    ASSERT_EQ(kill(farm.pid(), SIGINT), 0);
    EXPECT_NE(farm.Wait(60), 0);
  }
  ExpectNoLeftovers();
  const auto before = RecordedOnce(db_, "ctrl-c", 5, kSteps);
  EXPECT_EQ(CountStatus(before, TrialStatus::kRunning), 0) << "a running trial was not recorded";
  EXPECT_GE(CountStatus(before, TrialStatus::kKilled), 1);
  for (const auto& row : before) {
    if (row.status != TrialStatus::kKilled) continue;
    EXPECT_NE(row.error.find("the farm was stopped"), std::string::npos) << row.error;
    EXPECT_FALSE(row.finished_at.empty()) << row.name;
  }

  BackgroundProcess rerun(Mpirun(3, args), (dir_ / "run2.log").string());
  ASSERT_EQ(rerun.Wait(120), 0);
  const auto after = RecordedOnce(db_, "ctrl-c", 5, kSteps);
  EXPECT_EQ(CountStatus(after, TrialStatus::kDone), 5);
  ExpectRerunOnlyTheUnfinished(before, after);
  ExpectNoLeftovers();
}

TEST_F(Farm, TrialPastTheTimeLimitIsRecordedTimeoutAndTheFarmGoesOn) {
  // The first trial would run for hours; the other two end in seconds on the other worker.
  const auto sweep = WriteSweep(TinyCpuSweep("slow", "train.steps: [100000, 6, 7]"));
  BackgroundProcess farm(Mpirun(3, {"run", sweep, "--db", db_, "--timeout", "3"}),
                         (dir_ / "run.log").string());
  ASSERT_EQ(farm.Wait(120), 0) << "a timeout is an outcome, not a failure of the farm";
  const auto rows = TrialsNow(db_, "slow");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(row.attempts, 1);
    if (row.params.at("train.steps") != "100000") {
      EXPECT_EQ(row.status, TrialStatus::kDone) << row.error;
      continue;
    }
    EXPECT_EQ(row.status, TrialStatus::kTimeout);
    EXPECT_NE(row.error.find("time limit"), std::string::npos) << row.error;
    EXPECT_EQ(row.signal, SIGTERM);  // the worker's stop; no SIGKILL fallback was needed
    EXPECT_GE(row.wall_s, 3.0);
    EXPECT_LT(row.wall_s, 30.0);
  }
  ExpectNoLeftovers();
}

TEST_F(Farm, WithRecoveryALostWorkersTrialIsRequeuedInTheSameJob) {
  const auto sweep = WriteSweep(FarmSweep("lease", kLongSteps));
  setenv("QLSWEEP_FARM_HEARTBEAT_S", "0.3", 1);
  setenv("QLSWEEP_FARM_LEASE_S", "2", 1);
  BackgroundProcess farm(Mpirun(3, {"run", sweep, "--db", db_}, {"--enable-recovery"}),
                         (dir_ / "run.log").string());
  unsetenv("QLSWEEP_FARM_HEARTBEAT_S");
  unsetenv("QLSWEEP_FARM_LEASE_S");
  const auto [rank, pid] = RunningLease(db_);
  ASSERT_GT(pid, 0);
  const auto lost = Scalar(db_, "SELECT id FROM trials WHERE worker_pid = " + std::to_string(pid) +
                                    " AND status = 'running'");
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(farm.Wait(120), 0) << "the job survives the worker and finishes the sweep";
  const auto rows = RecordedOnce(db_, "lease", 5, kLongSteps);
  EXPECT_EQ(CountStatus(rows, TrialStatus::kDone), 5);
  if (lost != "<null>") {  // the trial that was running on the killed worker
    EXPECT_EQ(Scalar(db_, "SELECT attempts FROM trials WHERE id = '" + lost + "'"), "2");
    EXPECT_NE(Scalar(db_, "SELECT worker_rank FROM trials WHERE id = '" + lost + "'"),
              std::to_string(rank));
  }
  std::ifstream log(dir_ / "run.log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("worker rank " + std::to_string(rank)), std::string::npos)
      << text.str();
  ExpectNoLeftovers();
}

}  // namespace
