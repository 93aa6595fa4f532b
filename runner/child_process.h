// ChildProcess: a trial process with its stdout read line by line and its stderr sent to a log file.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace qlsweep::runner {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with argv, the current environment plus `env`, stdout to a pipe and
  // stderr appended to `stderr_path`. The child dies with its parent (PR_SET_PDEATHSIG), so a
  // killed coordinator never leaves a trial running. Throws std::runtime_error on failure.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& stderr_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  enum class Read { kLine, kEof, kTimeout };
  // Next complete stdout line (without '\n'); waits at most timeout_ms (-1 = forever).
  Read ReadLine(std::string* line, int timeout_ms);
  void Signal(int signal) const;

  struct Exit {
    int code = 0;    // exit status when it exited
    int signal = 0;  // terminating signal when it was killed
  };
  Exit Wait();  // reaps the child (blocking)
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  bool reaped_ = false;
};

}  // namespace qlsweep::runner
