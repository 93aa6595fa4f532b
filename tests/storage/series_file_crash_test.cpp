// A writer killed by SIGKILL without closing its SeriesFile leaves every appended row readable.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "storage/series_file.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using testing::ScratchDir;

// Forks a child that writes `rows` train rows and `rows / 10` eval rows, then SIGKILLs itself.
void WriteAndDie(const std::string& path, int rows) {
  const pid_t child = fork();
  ASSERT_GE(child, 0) << "fork failed";
  if (child == 0) {
    try {
      SeriesFile file(path, "crash", R"({"steps":)" + std::to_string(rows) + "}");
      for (int step = 0; step < rows; ++step) {
        file.Append("train", {{"step", step}, {"loss", 10.0 - 0.01 * step}});
        if (step % 10 == 9) file.Append("eval", {{"step", step}, {"eval_loss", 1.0}});
      }
      raise(SIGKILL);
    } catch (...) {
    }
    _exit(3);  // only reached when writing failed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

class SeriesFileCrashTest : public ::testing::TestWithParam<int> {};

TEST_P(SeriesFileCrashTest, EveryAppendedRowSurvivesTheWriter) {
  const int rows = GetParam();
  ScratchDir dir;
  const std::string path = dir.File("crash.h5");
  WriteAndDie(path, rows);

  const auto steps = ReadSeries(path, "train/step");
  const auto loss = ReadSeries(path, "train/loss");
  ASSERT_EQ(steps.size(), static_cast<size_t>(rows));
  ASSERT_EQ(loss.size(), static_cast<size_t>(rows));
  for (int step = 0; step < rows; ++step) {
    ASSERT_EQ(steps[step], step);
    ASSERT_EQ(loss[step], 10.0 - 0.01 * step);
  }
  EXPECT_EQ(ReadSeries(path, "eval/step").size(), static_cast<size_t>(rows / 10));
  EXPECT_EQ(ReadSeries(path, "train/lr").size(), static_cast<size_t>(rows));
  EXPECT_EQ(ReadRootAttribute(path, "trial_id"), "crash");
  EXPECT_EQ(ReadRootAttribute(path, "config"), R"({"steps":)" + std::to_string(rows) + "}");
}

INSTANTIATE_TEST_SUITE_P(Rows, SeriesFileCrashTest, ::testing::Values(0, 1, 257, 1000));

}  // namespace
}  // namespace qlsweep::storage
