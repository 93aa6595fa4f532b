// e2e helpers: shell runs and fork/exec of the qlsweep binary, /proc scans, read-only run index
// polls.
#include "tests/e2e/e2e_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace qlsweep::e2e {

CommandResult RunQlsweep(const std::string& args) {
  return testing::RunShell(std::string(QLSWEEP_BIN) + " " + args);
}

namespace {

// `qlsweep` and then `args`.
std::vector<std::string> QlsweepArgv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {QLSWEEP_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::string QlsweepBinary() { return QLSWEEP_BIN; }

BackgroundQlsweep::BackgroundQlsweep(const std::vector<std::string>& args,
                                     const std::string& log_path)
    : BackgroundProcess(QlsweepArgv(args), log_path) {}

BackgroundProcess::BackgroundProcess(std::vector<std::string> argv, const std::string& log_path) {
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_path);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  close(log);
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int BackgroundProcess::Wait(double timeout_s) {
  int status = 0;
  const bool ended = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_s);
  if (!ended) return -1;
  reaped_ = true;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool WaitFor(const std::function<bool()>& condition, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

// The state letter and parent pid in /proc/PID/stat; false when the process is gone.
bool ReadStat(const std::filesystem::path& proc_dir, char* state, int* ppid) {
  std::ifstream in(proc_dir / "stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const auto close_paren = stat.rfind(')');  // the command name may hold spaces and parens
  return close_paren != std::string::npos &&
         std::sscanf(stat.c_str() + close_paren + 1, " %c %d", state, ppid) == 2;
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (!ReadStat(entry.path(), &state, &ppid)) continue;  // the process ended meanwhile
    if (ppid == parent && state != 'Z') children.push_back(std::stoi(name));
  }
  return children;
}

char ProcessState(pid_t pid) {
  char state = 0;
  int ppid = 0;
  return ReadStat("/proc/" + std::to_string(pid), &state, &ppid) ? state : 0;
}

std::string CommandLine(pid_t pid) { return ReadText("/proc/" + std::to_string(pid) + "/cmdline"); }

bool SignalPending(pid_t pid, int signal) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  const uint64_t bit = uint64_t{1} << (signal - 1);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ShdPnd:", 0) != 0 && line.rfind("SigPnd:", 0) != 0) continue;
    if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
  }
  return false;
}

bool PauseProcess(pid_t pid) {
  if (kill(pid, SIGSTOP) != 0) return false;
  char state = 0;
  WaitFor(
      [&] {
        state = ProcessState(pid);
        return state == 'T' || state == 'Z' || state == 0;
      },
      10);
  return state == 'T';
}

pid_t ExecedChild(pid_t parent) {
  const auto children = ChildrenOf(parent);
  if (children.size() != 1 || CommandLine(children[0]) == CommandLine(parent)) return 0;
  return children[0];
}

std::vector<storage::TrialRow> TrialsNow(const std::string& db_path, const std::string& sweep) {
  if (!std::filesystem::exists(db_path)) return {};
  try {
    return storage::RunIndex::OpenReadOnly(db_path)->Trials(sweep);
  } catch (const storage::StorageError&) {
    return {};  // the writer is still creating the schema
  }
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int CountStatus(const std::vector<storage::TrialRow>& rows, protocol::TrialStatus status) {
  int n = 0;
  for (const auto& row : rows) n += row.status == status ? 1 : 0;
  return n;
}

std::string TinyCpuSweep(const std::string& name, const std::string& grid_lines, int steps,
                         const std::string& extra) {
  return "name: " + name + R"(
base:
  model: {preset: tiny}
  quantization: {type: none}
  data: {seq_len: 32}
  train: {steps: )" +
         std::to_string(steps) + R"(, micro_batch: 2, warmup_steps: 1}
  optim: {name: adamw, lr: 0.01}
  eval: {interval: 3, sequences: 2}
  hardware: {device: cpu}
grid:
  )" + grid_lines +
         "\n" + extra;
}

}  // namespace qlsweep::e2e
