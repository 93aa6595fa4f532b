// ChildProcess on /bin/sh scripts: line splitting, polling several children, exits and signals.
#include "runner/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qlsweep::runner {
namespace {

std::string LogPath() {
  return (std::filesystem::temp_directory_path() /
          ("qlsweep-child-" + std::to_string(getpid()) + ".log"))
      .string();
}

// The children's shared stderr log goes when the test process ends.
const struct RemoveLogAtExit {
  ~RemoveLogAtExit() {
    std::error_code ignored;
    std::filesystem::remove(LogPath(), ignored);
  }
} remove_log_at_exit;

ChildProcess Shell(const std::string& script, std::map<std::string, std::string> env = {}) {
  return ChildProcess({"/bin/sh", "-c", script}, env, LogPath());
}

// Reads every line of the listed children until all are at end of file (10 s at most).
std::vector<std::vector<std::string>> Drain(const std::vector<ChildProcess*>& children) {
  std::vector<std::vector<std::string>> lines(children.size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto all_eof = [&] {
    for (auto* c : children) {
      if (!c->at_eof()) return false;
    }
    return true;
  };
  while (!all_eof() && std::chrono::steady_clock::now() < deadline) {
    const auto readable = WaitReadable(children, 1000);
    for (size_t i = 0; i < children.size(); ++i) {
      if (readable[i]) children[i]->ReadAvailable(&lines[i]);
    }
  }
  return lines;
}

TEST(ChildProcess, SplitsLinesAcrossWritesAndKeepsTheLastUnterminatedOne) {
  auto child = Shell("printf 'a\\nb'; sleep 0.05; printf 'c\\n\\nd'");
  const auto lines = Drain({&child});
  EXPECT_EQ(lines[0], (std::vector<std::string>{"a", "bc", "", "d"}));
  EXPECT_EQ(child.stdout_fd(), -1);
  const auto exit = child.Wait();
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(exit.signal, 0);
}

TEST(ChildProcess, PollsSeveralChildrenAtOnce) {
  // The slow child starts first; the fast one must not wait behind it. 2 s against a bound of
  // 1.5 s: a loaded machine (the sanitizer tier under ctest -j2) may take a while to start the
  // fast child, but not the slow child's whole sleep.
  auto slow = Shell("sleep 2; echo slow");
  auto fast = Shell("echo \"fast $CUDA_VISIBLE_DEVICES\"", {{"CUDA_VISIBLE_DEVICES", "7"}});
  std::vector<std::string> fast_lines;
  const auto start = std::chrono::steady_clock::now();
  while (!fast.at_eof()) {
    const auto readable = WaitReadable({&slow, &fast}, 1000);
    if (readable[1]) fast.ReadAvailable(&fast_lines);
    ASSERT_FALSE(readable[0]) << "the slow child wrote early";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_EQ(fast_lines, std::vector<std::string>{"fast 7"});
  EXPECT_EQ(Drain({&slow})[0], std::vector<std::string>{"slow"});
}

TEST(ChildProcess, TryWaitReportsExitCodesAndSignals) {
  auto exits = Shell("exit 3");
  Drain({&exits});
  std::optional<ChildProcess::Exit> exit;
  for (int i = 0; i < 500 && !exit; ++i) {
    exit = exits.TryWait();
    if (!exit) usleep(10000);
  }
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 3);

  auto sleeper = Shell("exec sleep 30");
  EXPECT_FALSE(sleeper.TryWait().has_value());
  sleeper.Signal(SIGTERM);
  EXPECT_EQ(sleeper.Wait().signal, SIGTERM);
}

TEST(ChildProcess, StderrGoesToTheLog) {
  const auto log = LogPath();
  std::filesystem::remove(log);
  auto child = Shell("echo oops >&2");
  child.Wait();
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "oops\n");
  std::filesystem::remove(log);
}

TEST(ChildProcess, EnvironmentDropsUnsetNamesAndAddsItsOwn) {
  const char* base[] = {"KEEP=1", "OMPI_COMM_WORLD_RANK=3", "CUDA_VISIBLE_DEVICES=0,1",
                        "EMPTY=", nullptr};
  EXPECT_EQ(ChildEnvironment(base, {{"CUDA_VISIBLE_DEVICES", "1"}}, {"OMPI_COMM_WORLD_RANK"}),
            (std::vector<std::string>{"KEEP=1", "EMPTY=", "CUDA_VISIBLE_DEVICES=1"}));
  EXPECT_TRUE(ChildEnvironment(nullptr, {}, {}).empty());

  setenv("QLSWEEP_TEST_GONE", "still here", 1);
  auto child = ChildProcess({"/bin/sh", "-c", "echo \"[${QLSWEEP_TEST_GONE-unset}] $PATH_SEEN\""},
                            {{"PATH_SEEN", "yes"}}, LogPath(), {"QLSWEEP_TEST_GONE"});
  unsetenv("QLSWEEP_TEST_GONE");
  EXPECT_EQ(Drain({&child})[0], std::vector<std::string>{"[unset] yes"});
  EXPECT_EQ(child.Wait().code, 0);
}

}  // namespace
}  // namespace qlsweep::runner
