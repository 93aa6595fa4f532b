// Runs a read that a damaged file can make loop forever in a child process with a deadline.
#include "storage/child_call.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "storage/run_index.h"

namespace qlsweep::storage {
namespace {

void (*child_start_hook)() = nullptr;

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent gave up waiting
    done += static_cast<size_t>(n);
  }
}

// The child: one status byte ('+' value, '!' error message) and the payload, then _exit (no
// atexit handlers or static destructors of the parent's libraries run twice).
[[noreturn]] void RunChild(int fd, const std::function<std::string()>& produce) {
  if (child_start_hook != nullptr) child_start_hook();
  std::string reply;
  try {
    reply = "+" + produce();
  } catch (const std::exception& e) {
    reply = std::string("!") + e.what();
  } catch (...) {
    reply = "!an unknown error";
  }
  WriteAll(fd, reply);
  ::close(fd);
  ::_exit(0);
}

}  // namespace

void SetChildStartHook(void (*hook)()) { child_start_hook = hook; }

std::string CallInChild(const std::function<std::string()>& produce,
                        std::chrono::milliseconds deadline, const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw StorageError(what + ": cannot create a pipe: " + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw StorageError(what + ": cannot start a reader process: " + std::strerror(error));
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(fds[1], produce);
  }
  ::close(fds[1]);

  std::string reply;
  bool timed_out = false;
  const auto end = std::chrono::steady_clock::now() + deadline;
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: done
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    throw StorageError(what + " did not finish within " + std::to_string(deadline.count()) +
                       " ms (the file is damaged: libhdf5 loops on it); stopped");
  }
  if (WIFSIGNALED(status)) {
    throw StorageError(what + ": the reader process died of signal " +
                       std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
                       "; the file is damaged)");
  }
  if (reply.empty()) throw StorageError(what + ": the reader process gave no answer");
  if (reply[0] == '!') throw StorageError(reply.substr(1));
  return reply.substr(1);
}

}  // namespace qlsweep::storage
