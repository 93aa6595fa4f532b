// Faults under the real launcher: mpiexec runs dist_fault_worker (fault_worker_main.cpp) from a
// forked child with a watchdog. A rank that never joins times the others out with CommError on
// every collective; a rank that is killed or exits mid-run ends the whole job instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Launch {
  bool ended = false;  // false: the watchdog had to stop it
  int exit_code = -1;
  int signal = 0;
  double seconds = 0;
};

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// mpiexec -n RANKS [oversubscribe] [preflags] WORKER SCENARIO OUT_DIR, in its own process group;
// after limit_s the watchdog sends SIGTERM (mpiexec passes it to the ranks), then SIGKILL to
// the group.
Launch MpiexecWithWatchdog(int ranks, const std::string& scenario, const fs::path& out_dir,
                           double limit_s) {
  std::vector<std::string> args = {QLSWEEP_MPIEXEC, QLSWEEP_MPIEXEC_NUMPROC_FLAG,
                                   std::to_string(ranks)};
  for (const auto& word : Words(QLSWEEP_MPIEXEC_FLAGS)) args.push_back(word);
  for (const std::string& arg : {std::string(QLSWEEP_FAULT_WORKER), scenario, out_dir.string()}) {
    args.push_back(arg);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Launch launch;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (seconds() > limit_s) {
      kill(pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::seconds(5));
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      launch.seconds = seconds();
      return launch;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  launch.ended = true;
  launch.seconds = seconds();
  if (WIFEXITED(status)) launch.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) launch.signal = WTERMSIG(status);
  return launch;
}

// A fresh folder for the ranks' reports, removed after the test.
class FaultTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    out_dir_ = fs::temp_directory_path() /
               ("qlsweep-dist-fault-" + std::to_string(getpid()) + "-" + test->name());
    fs::remove_all(out_dir_);
    fs::create_directories(out_dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(out_dir_, ignored);
  }

  std::vector<std::string> Report(int rank) const {
    std::ifstream in(out_dir_ / ("rank" + std::to_string(rank) + ".txt"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // Rank 1 dies (SIGKILL or _exit) in a loop of sums that cannot finish without it, and no
  // timeout would rescue the others: Open MPI must end the job.
  void ExpectRankOneEndsTheJob(const std::string& scenario) {
    const Launch launch = MpiexecWithWatchdog(3, scenario, out_dir_, 60);
    ASSERT_TRUE(launch.ended) << "mpiexec still ran after 60 s: the survivors hang";
    EXPECT_NE(launch.exit_code, 0);
    EXPECT_EQ(Report(1), (std::vector<std::string>{"looping", "dying"}));
    for (int rank : {0, 2}) EXPECT_EQ(Report(rank), std::vector<std::string>{"looping"});
  }

  fs::path out_dir_;
};

// The value of "key=value" in a report line ("" when absent).
std::string Field(const std::string& line, const std::string& key) {
  const size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() + 2;
  return line.substr(from, line.find(' ', from) - from);
}

TEST_F(FaultTest, ARankThatNeverJoinsTimesTheOthersOutOnEveryCollective) {
  // Rank 1 sleeps 120 s; the others' six 1 s timeouts take about 6 s, then they exit 3, and Open
  // MPI ends the job (the sleeping rank too) long before the 60 s watchdog.
  const Launch launch = MpiexecWithWatchdog(3, "hang", out_dir_, 60);
  ASSERT_TRUE(launch.ended) << "mpiexec still ran after 60 s";
  EXPECT_NE(launch.exit_code, 0);
  EXPECT_LT(launch.seconds, 40);
  EXPECT_EQ(Report(1), std::vector<std::string>{"stuck"});
  const std::vector<std::string> ops = {"AllReduceSum", "ReduceScatterSum", "AllGather",
                                        "Broadcast", "Barrier"};
  for (int rank : {0, 2}) {
    SCOPED_TRACE("rank " + std::to_string(rank));
    const auto lines = Report(rank);
    ASSERT_EQ(lines.size(), 2 * ops.size() + 2) << testing::PrintToString(lines);
    for (size_t i = 0; i < ops.size(); ++i) {
      const std::string& first = lines[2 * i];
      const std::string& again = lines[2 * i + 1];
      EXPECT_EQ(first.rfind(ops[i] + " first timed_out=1 ", 0), 0u) << first;
      const double seconds = std::stod(Field(first, "seconds"));
      EXPECT_GE(seconds, 1.0) << first;
      EXPECT_LT(seconds, 3.0) << first;  // the timeout plus polling and a loaded machine
      EXPECT_NE(first.find("MPI " + ops[i]), std::string::npos) << first;
      EXPECT_NE(first.find("on rank " + std::to_string(rank) + " of 3 did not finish within 1 s"),
                std::string::npos)
          << first;
      // A second call on that communicator fails at once, naming the first failure.
      EXPECT_EQ(again.rfind(ops[i] + " again timed_out=0 ", 0), 0u) << again;
      EXPECT_LT(std::stod(Field(again, "seconds")), 0.1) << again;
      EXPECT_NE(again.find("unusable after"), std::string::npos) << again;
    }
    const std::string& create = lines[2 * ops.size()];
    EXPECT_EQ(create.rfind("MakeMpiCommunicator timed_out=1 ", 0), 0u) << create;
    EXPECT_LT(std::stod(Field(create, "seconds")), 3.0) << create;
    EXPECT_EQ(lines.back(), "exiting");
  }
}

TEST_F(FaultTest, AKilledRankEndsTheJobInsteadOfHangingIt) { ExpectRankOneEndsTheJob("kill"); }

TEST_F(FaultTest, ARankThatExitsMidRunEndsTheJobInsteadOfHangingIt) {
  ExpectRankOneEndsTheJob("exit");
}

}  // namespace
