// RunLock (one coordinator per run index) and the --db path checks, on real files and processes.
#include "runner/run_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "runner/child_process.h"
#include "runner/db_path.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed at its end.
class ScratchFolder {
 public:
  ScratchFolder() {
    path_ = fs::temp_directory_path() /
            ("qlsweep-runner-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchFolder() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The message of the exception `fn` throws, "" when none.
template <typename E>
std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

TEST(RunLock, ASecondHolderIsRefusedNamingTheFirst) {
  ScratchFolder dir;
  const std::string db = dir.File("runs.db");
  {
    RunLock first(db);
    EXPECT_EQ(first.path(), db + ".lock");
    std::ifstream note(db + ".lock");
    std::string text;
    std::getline(note, text);
    EXPECT_EQ(text.rfind("pid " + std::to_string(getpid()) + " on host ", 0), 0u) << text;
    // flock belongs to the open file, so even this process cannot take it twice.
    const std::string busy = ErrorOf<RunLockBusy>([&] { RunLock second(db); });
    EXPECT_NE(busy.find("run index " + db + " is in use by another `qlsweep run` (pid " +
                        std::to_string(getpid()) + " on host "),
              std::string::npos)
        << busy;
    EXPECT_NE(busy.find("lock file " + db + ".lock"), std::string::npos) << busy;
  }
  RunLock again(db);  // released with its holder
  EXPECT_TRUE(fs::exists(db + ".lock"));
}

TEST(RunLock, DiesWithAProcessKilledWhileHoldingIt) {
  ScratchFolder dir;
  const std::string db = dir.File("runs.db");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t holder = fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    close(ready[0]);
    RunLock lock(db);
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  EXPECT_NE(ErrorOf<RunLockBusy>([&] { RunLock busy(db); }).find("pid " + std::to_string(holder)),
            std::string::npos);
  ASSERT_EQ(kill(holder, SIGKILL), 0);
  ASSERT_EQ(waitpid(holder, nullptr, 0), holder);
  RunLock mine(db);  // the kernel dropped the dead holder's lock
}

TEST(RunLock, ChildProcessesDoNotInheritIt) {
  ScratchFolder dir;
  const std::string db = dir.File("runs.db");
  auto lock = std::make_unique<RunLock>(db);
  ChildProcess child({"/bin/sh", "-c", "echo started; sleep 5"}, {}, dir.File("child.log"));
  // Once the child has exec'd (it prints), only a descriptor kept across exec could hold the lock.
  std::vector<std::string> lines;
  for (int i = 0; i < 50 && lines.empty(); ++i) {
    if (WaitReadable({&child}, 200)[0]) child.ReadAvailable(&lines);
  }
  ASSERT_EQ(lines, std::vector<std::string>{"started"});
  lock.reset();
  RunLock next(db);  // would fail if the sleeping child held the lock's descriptor
  child.Signal(SIGKILL);
}

TEST(DbPath, RefusesDevicesFoldersAndPseudoFilesystems) {
  ScratchFolder dir;
  const std::string file = dir.File("file");
  std::ofstream(file) << "x";
  const std::string folder = dir.File("");
  EXPECT_EQ(ErrorOf<InvalidInput>([] { CheckDbPathForWriting("/dev/null"); }),
            "--db /dev/null: is under /dev; --db names the SQLite run index, a regular file "
            "(e.g. runs/runs.db)");
  EXPECT_NE(ErrorOf<InvalidInput>([] { CheckDbPathForWriting("/dev/shm/x.db"); }).find("/dev"),
            std::string::npos);
  EXPECT_NE(ErrorOf<InvalidInput>([] { CheckDbPathForReading("/dev/stdin"); }).find("under /dev"),
            std::string::npos);
  EXPECT_NE(ErrorOf<InvalidInput>([] {
              CheckDbPathForWriting("/proc/self/x.db");
            }).find("is under /proc"),
            std::string::npos);
  EXPECT_NE(ErrorOf<InvalidInput>([&] { CheckDbPathForWriting(folder); }).find("is a directory"),
            std::string::npos);
  EXPECT_NE(ErrorOf<InvalidInput>([&] {
              CheckDbPathForWriting(file + "/runs.db");
            }).find("a folder on the way is a file"),
            std::string::npos);
  EXPECT_NE(ErrorOf<InvalidInput>([&] {
              CheckDbPathForReading(dir.File("none.db"));
            }).find("no run index here"),
            std::string::npos);
  // A link into /dev is followed.
  fs::create_symlink("/dev/null", dir.File("null.db"));
  EXPECT_NE(ErrorOf<InvalidInput>([&] {
              CheckDbPathForWriting(dir.File("null.db"));
            }).find("is under /dev"),
            std::string::npos);
  EXPECT_EQ(ErrorOf<InvalidInput>([&] { CheckDbPathForWriting(file); }), "");
  EXPECT_EQ(ErrorOf<InvalidInput>([&] { CheckDbPathForWriting(dir.File("new/deeper/runs.db")); }),
            "");
  EXPECT_EQ(ErrorOf<InvalidInput>([&] { CheckDbPathForReading(file); }), "");
}

}  // namespace
}  // namespace qlsweep::runner
