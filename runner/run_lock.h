// One coordinator per run index: an exclusive flock(2) on <db>.lock for the life of a `run`.
#pragma once

#include <stdexcept>
#include <string>

namespace qlsweep::runner {

// Another live process holds the lock; the message names it (pid, host, since when).
class RunLockBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Takes the lock beside the database (`<db_path>.lock`, created when missing, never removed) or
// throws RunLockBusy at once when another process holds it, std::runtime_error when the lock file
// cannot be opened. The lock is the kernel's: it ends with its holder however the holder ends
// (exit, crash, SIGKILL), so a dead coordinator never blocks the next one. The file's text names
// the holder ("pid 1234 on host gpu-1 since 2026-01-31T12:00:00Z"). Trial processes do not
// inherit it (close-on-exec). Readers never take it.
class RunLock {
 public:
  explicit RunLock(const std::string& db_path);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace qlsweep::runner
