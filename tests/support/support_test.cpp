// The shared test helpers themselves: error matchers, scratch folders, the CI rule, shell runs.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "tests/support/expect_error.h"
#include "tests/support/fetched.h"
#include "tests/support/process.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::testing {
namespace {

namespace fs = std::filesystem;

void Throw() { throw std::runtime_error("bad.yaml:3: lora.r: must be in [1, 1024]"); }

TEST(SupportExpectError, PassesWhenEveryPartIsNamed) {
  ExpectError(Throw, {"bad.yaml:3", "lora.r"});
  ExpectError<std::runtime_error>(Throw, {"[1, 1024]"});
  EXPECT_EQ(ErrorOf(Throw), "bad.yaml:3: lora.r: must be in [1, 1024]");
}

TEST(SupportExpectError, FailsOnAMissingPartOrNoError) {
  EXPECT_NONFATAL_FAILURE(ExpectError(Throw, {"lora.alpha"}), "'lora.alpha' missing from");
  EXPECT_NONFATAL_FAILURE(ExpectError([] {}, {"x"}), "no error; expected one mentioning 'x'");
  EXPECT_NONFATAL_FAILURE(ErrorOf([] {}), "no error was thrown");
}

TEST(SupportScratch, DirIsFreshPerObjectAndRemovedWithItsFiles) {
  fs::path kept;
  {
    ScratchDir a, b;
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(fs::is_directory(a.path()));
    EXPECT_TRUE(fs::is_empty(a.path()));
    fs::create_directories(a.path() / "sub");
    EXPECT_EQ(a.Write("sub/x.txt", "text"), (a.path() / "sub" / "x.txt").string());
    EXPECT_EQ(a.File("y"), (a.path() / "y").string());
    kept = a.path();
  }
  EXPECT_FALSE(fs::exists(kept));
  const std::string path = ScratchPath("deep/er/file");
  EXPECT_TRUE(fs::is_directory(fs::path(path).parent_path()));
}

TEST(SupportFetched, CiTrueTurnsAMissingInputIntoAFailure) {
  const char* old = std::getenv("CI");
  const std::string saved = old != nullptr ? old : "";
  setenv("CI", "true", 1);
  EXPECT_TRUE(FetchedInputsRequired());
  setenv("CI", "1", 1);
  EXPECT_FALSE(FetchedInputsRequired());
  unsetenv("CI");
  EXPECT_FALSE(FetchedInputsRequired());
  EXPECT_EQ(MissingFetchedInput("h5py", "pip install h5py"), "h5py is missing (pip install h5py)");
  if (old != nullptr) setenv("CI", saved.c_str(), 1);
}

TEST(SupportProcess, RunShellReturnsStdoutAndExitCode) {
  const auto ok = RunShell("echo hello; echo err >&2");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, "hello\n");
  EXPECT_EQ(RunShell("exit 7").exit_code, 7);
}

TEST(SupportPrinters, StatusPrintsAsItsText) {
  EXPECT_EQ(::testing::PrintToString(protocol::TrialStatus::kOom), "oom");
}

}  // namespace
}  // namespace qlsweep::testing
