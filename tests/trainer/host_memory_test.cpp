// A CPU trial's memory limit: a failed host allocation of libtorch throws (it does not abort the
// process) and is told apart from other errors; hardware.host_memory_mib limits RLIMIT_DATA.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/memory/host_memory_limit.h"
#include "trainer/tokenizer/sentencepiece_model.h"

namespace qlsweep::trainer {
namespace {

// 1 PiB: more than any machine's memory and swap, so the allocator's posix_memalign fails with
// ENOMEM. libtorch then throws c10::Error, unless the flags libc10 reads were overwritten at load
// (libsentencepiece's FLAGS_minloglevel; see trainer/CMakeLists.txt), when it aborts instead.
TEST(HostMemoryTest, AFailedCpuAllocationThrowsAndIsRecognised) {
  // Links libsentencepiece into this test as into qlsweep (which reads tokenizer.model files):
  // without the library the clash this test guards against could not happen here.
  EXPECT_ANY_THROW(LoadSentencePieceModel("/nonexistent/tokenizer.model"));
  try {
    auto tensor = torch::empty({int64_t{1} << 50}, torch::kUInt8);
    FAIL() << "a 1 PiB tensor was allocated";
  } catch (const c10::Error& e) {
    EXPECT_TRUE(IsHostAllocationFailure(e)) << e.what_without_backtrace();
  }
  try {
    (void)torch::ones({2, 3}).view({4});
    FAIL() << "the view should not fit";
  } catch (const c10::Error& e) {
    EXPECT_FALSE(IsHostAllocationFailure(e)) << e.what_without_backtrace();
  }
}

// In a child process: the limit is set, and a tensor larger than it is refused as above.
TEST(HostMemoryTest, LimitSetsRlimitDataAndRefusesLargerTensors) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit before {};
    getrlimit(RLIMIT_DATA, &before);
    ApplyHostMemoryLimit(0);  // 0: left alone
    struct rlimit after {};
    getrlimit(RLIMIT_DATA, &after);
    if (after.rlim_cur != before.rlim_cur) _exit(3);
    ApplyHostMemoryLimit(4096);
    getrlimit(RLIMIT_DATA, &after);
    if (after.rlim_cur != rlim_t{4096} << 20) _exit(4);
    try {
      auto tensor = torch::empty({int64_t{5} << 30}, torch::kUInt8);  // 5 GiB > 4 GiB
      _exit(5);
    } catch (const c10::Error& e) {
      _exit(IsHostAllocationFailure(e) ? 0 : 6);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace qlsweep::trainer
