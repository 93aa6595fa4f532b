// ChildProcess: a trial process with its stdout read line by line and its stderr sent to a log
// file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qlsweep::runner {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with argv, the current environment without the variables named in
  // `unset` and plus `env`, stdout to a pipe and stderr appended to `stderr_path`. The child dies
  // with its parent (PR_SET_PDEATHSIG), so a killed coordinator never leaves a trial running.
  // Nothing allocates between fork and exec (the environment is built before the fork), so a
  // multi-threaded parent (an MPI rank) forks safely. Throws std::runtime_error on failure.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& stderr_path, const std::vector<std::string>& unset = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The read end of the child's stdout, for poll(); -1 once end of file was read.
  int stdout_fd() const { return eof_ ? -1 : stdout_fd_; }
  bool at_eof() const { return eof_; }
  // One read() of what the child wrote (call when poll() reports stdout_fd() readable; it may
  // block otherwise). Appends each complete line (without '\n') to *lines, and at end of file
  // the last unterminated line too.
  void ReadAvailable(std::vector<std::string>* lines);
  void Signal(int signal) const;

  struct Exit {
    int code = 0;    // exit status when it exited
    int signal = 0;  // terminating signal when it was killed
  };
  std::optional<Exit> TryWait();  // reaps the child if it has ended (never blocks)
  Exit Wait();                    // reaps the child (blocking)
  int pid() const { return pid_; }

 private:
  static Exit Decode(int status);
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  bool reaped_ = false;
};

// The environment of a child: the NAME=VALUE entries of `base` (null-terminated, like `environ`)
// except those named in `unset` or set by `env`, then `env`'s entries.
std::vector<std::string> ChildEnvironment(const char* const* base,
                                          const std::map<std::string, std::string>& env,
                                          const std::vector<std::string>& unset);

// Waits up to timeout_ms (-1 = forever) until one of `children` has stdout to read; returns,
// per child, whether it has (a child at end of file never has). A signal ends the wait early.
std::vector<bool> WaitReadable(const std::vector<ChildProcess*>& children, int timeout_ms);

}  // namespace qlsweep::runner
