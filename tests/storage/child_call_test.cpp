// CallInChild: a value or an error comes back from the child; a child past its deadline is killed.
#include "storage/child_call.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "tests/support/expect_error.h"

namespace qlsweep::storage {
namespace {

using qlsweep::testing::ErrorOf;
using std::chrono::milliseconds;

TEST(ChildCall, ReturnsTheChildsValueWhole) {
  const std::string big(300000, 'x');  // more than a pipe holds at once
  EXPECT_EQ(CallInChild([&] { return big + "end"; }, milliseconds(10000), "big"), big + "end");
  EXPECT_EQ(CallInChild([] { return std::string(); }, milliseconds(10000), "empty"), "");
}

TEST(ChildCall, ChildErrorsComeBackAsStorageErrors) {
  const std::string error = ErrorOf<StorageError>([] {
    CallInChild([]() -> std::string { throw StorageError("series file x.h5: bad"); },
                milliseconds(10000), "reading x.h5");
  });
  EXPECT_EQ(error, "series file x.h5: bad");
}

TEST(ChildCall, ALoopingChildIsStoppedAtItsDeadline) {
  const auto start = std::chrono::steady_clock::now();
  const std::string error = ErrorOf<StorageError>([] {
    CallInChild(
        []() -> std::string {
          for (;;) pause();  // as a process stuck inside libhdf5
        },
        milliseconds(300), "reading loop.h5");
  });
  EXPECT_NE(error.find("reading loop.h5 did not finish within 300 ms"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ChildCall, AChildKilledByASignalIsReported) {
  const std::string error = ErrorOf<StorageError>([] {
    CallInChild(
        []() -> std::string {
          raise(SIGKILL);  // as the OOM killer would (ASan catches SIGSEGV)
          return "";
        },
        milliseconds(10000), "reading crash.h5");
  });
  EXPECT_NE(error.find("reading crash.h5: the reader process died of signal 9"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace qlsweep::storage
