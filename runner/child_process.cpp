// fork/exec with a stdout pipe, a parent-death signal, and poll-based line reading.
#include "runner/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace qlsweep::runner {

std::vector<std::string> ChildEnvironment(const char* const* base,
                                          const std::map<std::string, std::string>& env,
                                          const std::vector<std::string>& unset) {
  std::vector<std::string> out;
  for (; base != nullptr && *base != nullptr; ++base) {
    const std::string_view entry(*base);
    const std::string name(entry.substr(0, entry.find('=')));
    if (env.count(name) != 0 || std::find(unset.begin(), unset.end(), name) != unset.end()) {
      continue;
    }
    out.emplace_back(entry);
  }
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& stderr_path, const std::vector<std::string>& unset) {
  std::vector<std::string> environment = ChildEnvironment(environ, env, unset);
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  const int log_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw std::runtime_error("cannot open " + stderr_path + ": " + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    setpgid(0, 0);  // own process group: the terminal's Ctrl-C goes to the coordinator only
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(args[0], args.data(), envp.data());
    dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  close(log_fd);
  stdout_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void ChildProcess::ReadAvailable(std::vector<std::string>* lines) {
  if (eof_) return;
  char chunk[4096];
  const ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    eof_ = true;
  } else {
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  size_t begin = 0;
  for (size_t newline; (newline = buffer_.find('\n', begin)) != std::string::npos;
       begin = newline + 1) {
    lines->push_back(buffer_.substr(begin, newline - begin));
  }
  buffer_.erase(0, begin);
  if (eof_ && !buffer_.empty()) {
    lines->push_back(std::move(buffer_));  // a last line without '\n'
    buffer_.clear();
  }
}

void ChildProcess::Signal(int signal) const {
  if (!reaped_ && pid_ > 0) kill(pid_, signal);
}

ChildProcess::Exit ChildProcess::Decode(int status) {
  Exit exit;
  if (WIFEXITED(status)) exit.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  return exit;
}

std::optional<ChildProcess::Exit> ChildProcess::TryWait() {
  int status = 0;
  pid_t got;
  while ((got = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got != pid_) return std::nullopt;
  reaped_ = true;
  return Decode(status);
}

ChildProcess::Exit ChildProcess::Wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return Decode(status);
}

std::vector<bool> WaitReadable(const std::vector<ChildProcess*>& children, int timeout_ms) {
  std::vector<pollfd> fds;
  for (const auto* child : children) fds.push_back({child->stdout_fd(), POLLIN, 0});
  std::vector<bool> readable(children.size(), false);
  if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return readable;  // timeout or a signal
  for (size_t i = 0; i < fds.size(); ++i) {
    readable[i] = fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }
  return readable;
}

}  // namespace qlsweep::runner
