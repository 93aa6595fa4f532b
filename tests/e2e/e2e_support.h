// Helpers of the e2e tier: run the real qlsweep binary in the foreground or background, watch the
// run index it writes, and find its trial processes.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/trial_status.h"
#include "storage/run_index.h"
#include "tests/support/process.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::e2e {

using testing::CommandResult;

// Runs `QLSWEEP_BIN args` through the shell and waits for it; `out` is its stdout only (stderr
// goes to the test log unless redirected in `args`).
CommandResult RunQlsweep(const std::string& args);

// The qlsweep binary under test.
std::string QlsweepBinary();

// `argv` (argv[0] a path) started in the background (fork/exec, no shell), stdout and stderr
// appended to `log_path`. The destructor SIGKILLs and reaps it if it still runs.
class BackgroundProcess {
 public:
  BackgroundProcess(std::vector<std::string> argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to timeout_s for it to end: its exit code, 128 + signal when a signal ended it, or
  // -1 on timeout (it keeps running).
  int Wait(double timeout_s);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// `qlsweep ARGS...` started in the background, as BackgroundProcess.
class BackgroundQlsweep : public BackgroundProcess {
 public:
  BackgroundQlsweep(const std::vector<std::string>& args, const std::string& log_path);
};

// Polls `condition` every 10 ms until it holds (true) or timeout_s passes (false).
bool WaitFor(const std::function<bool()>& condition, double timeout_s);

// Live processes whose parent is `parent` (from /proc/*/stat; zombies excluded).
std::vector<pid_t> ChildrenOf(pid_t parent);

// The state letter of process `pid` in /proc/PID/stat ('R', 'S', 'T' stopped, 'Z' ...); 0 when
// there is no such process.
char ProcessState(pid_t pid);

// The NUL-separated arguments of process `pid` (/proc/PID/cmdline); "" when it is gone.
std::string CommandLine(pid_t pid);

// True when `signal` is pending for process `pid` (sent, not yet delivered: the process is
// stopped or blocks it), from /proc/PID/status's ShdPnd and SigPnd masks.
bool SignalPending(pid_t pid, int signal);

// Stops `pid` with SIGSTOP and waits until it is stopped; false when it ended first.
bool PauseProcess(pid_t pid);

// The one live child of `parent` once it has run exec (its command line differs from the
// parent's: before exec it may not have set PR_SET_PDEATHSIG yet); 0 when there is none or
// several.
pid_t ExecedChild(pid_t parent);

// The sweep's trials as a read-only reader sees them now; empty while the file is not there yet.
std::vector<storage::TrialRow> TrialsNow(const std::string& db_path, const std::string& sweep);

// Counts trials of `rows` with status `status`.
int CountStatus(const std::vector<storage::TrialRow>& rows, protocol::TrialStatus status);

// The whole file as text ("" when it cannot be read).
std::string ReadText(const std::filesystem::path& path);

// True when `part` occurs in `text`.
bool Has(const std::string& text, const std::string& part);

// A fresh directory per test for the run index and its files (kept when the test fails).
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<testing::ScratchDir>(/*keep_on_failure=*/true);
    dir_ = scratch_->path();
    db_ = scratch_->File("runs.db");
  }
  void TearDown() override { scratch_.reset(); }
  std::string WriteSweep(const std::string& text, const std::string& name = "sweep.yaml") {
    return scratch_->Write(name, text);
  }
  std::unique_ptr<testing::ScratchDir> scratch_;
  std::filesystem::path dir_;
  std::string db_;
};

// A sweep of tiny CPU trials (~1 s each, `steps` steps) whose `grid:` holds `grid_lines` (YAML,
// indented by two spaces); `extra` is appended after the grid (e.g. an include: block).
std::string TinyCpuSweep(const std::string& name, const std::string& grid_lines, int steps = 6,
                         const std::string& extra = "");

}  // namespace qlsweep::e2e
