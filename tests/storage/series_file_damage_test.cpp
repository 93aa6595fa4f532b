// Damaged series files (truncated, bytes flipped) are read to an error or to data, quickly:
// never a hang (HDF5's SWMR metadata retries), never a crash. Each read runs in a forked child
// with an alarm, so a hang or a crash fails the test naming the damage instead of stopping it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using qlsweep::testing::ScratchDir;

constexpr unsigned kSecondsPerRead = 10;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Writes 300 train and 30 eval rows; `die` leaves the file as a killed writer does (still marked
// as open for SWMR writing), else it is closed.
void WriteSeries(const std::string& path, bool die) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      SeriesFile file(path, "damaged", R"({"steps":300})");
      for (int step = 0; step < 300; ++step) {
        file.Append("train", {{"step", step}, {"loss", 5.0 - 0.01 * step}});
        if (step % 10 == 9) file.Append("eval", {{"step", step}, {"eval_loss", 1.0}});
      }
      if (die) raise(SIGKILL);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(die ? WIFSIGNALED(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// How reading every column and attribute of `path` ended, in a child process.
enum class Outcome { kRead, kStorageError, kOtherError, kCrash, kHang };

Outcome ReadInChild(const std::string& path) {
  const pid_t child = fork();
  if (child == 0) {
    alarm(kSecondsPerRead);
    try {
      for (const char* dataset : {"train/step", "train/loss", "eval/step", "eval/eval_loss"}) {
        ReadSeries(path, dataset);
      }
      ReadRootAttribute(path, "config");
      ReadRootAttribute(path, "trial_id");
    } catch (const StorageError&) {
      _exit(1);
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGALRM ? Outcome::kHang : Outcome::kCrash;
  switch (WEXITSTATUS(status)) {
    case 0:
      return Outcome::kRead;
    case 1:
      return Outcome::kStorageError;
    default:
      return Outcome::kOtherError;
  }
}

class SeriesFileDamageTest : public ::testing::TestWithParam<bool> {};

TEST_P(SeriesFileDamageTest, TruncatedFilesEndInAnErrorQuickly) {
  ScratchDir dir;
  const std::string good = dir.File("good.h5"), bad = dir.File("bad.h5");
  WriteSeries(good, GetParam());
  const std::string bytes = ReadBytes(good);
  ASSERT_EQ(ReadInChild(good), Outcome::kRead);
  int errors = 0;
  for (size_t keep :
       {size_t{0}, size_t{1}, size_t{8}, size_t{47}, size_t{48}, size_t{200}, size_t{1024},
        size_t{4096}, bytes.size() / 4, bytes.size() / 2, bytes.size() - 1000, bytes.size() - 1}) {
    WriteBytes(bad, bytes.substr(0, keep));
    const auto start = std::chrono::steady_clock::now();
    const Outcome outcome = ReadInChild(bad);
    EXPECT_TRUE(outcome == Outcome::kRead || outcome == Outcome::kStorageError)
        << "truncated to " << keep << " of " << bytes.size() << " bytes: outcome "
        << static_cast<int>(outcome);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << keep;
    errors += outcome == Outcome::kStorageError;
  }
  EXPECT_GE(errors, 8);
}

TEST_P(SeriesFileDamageTest, FlippedBytesEndInAnErrorOrInDataQuickly) {
  ScratchDir dir;
  const std::string good = dir.File("good.h5"), bad = dir.File("bad.h5");
  WriteSeries(good, GetParam());
  const std::string bytes = ReadBytes(good);
  const auto start = std::chrono::steady_clock::now();
  int errors = 0, cases = 0;
  // One flipped byte at a time across the whole file, then many at once (the case that hung).
  for (size_t at = 0; at < bytes.size(); at += 41) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0xff);
    WriteBytes(bad, damaged);
    const Outcome outcome = ReadInChild(bad);
    EXPECT_TRUE(outcome == Outcome::kRead || outcome == Outcome::kStorageError)
        << "byte " << at << " flipped: outcome " << static_cast<int>(outcome);
    errors += outcome == Outcome::kStorageError;
    ++cases;
  }
  std::string damaged = bytes;
  for (size_t at = 200; at < damaged.size(); at += 97)
    damaged[at] = static_cast<char>(~damaged[at]);
  WriteBytes(bad, damaged);
  EXPECT_EQ(ReadInChild(bad), Outcome::kStorageError);
  EXPECT_GT(errors, cases / 20);  // metadata damage is detected (checksums), not read as data
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(120));
}

// The fuzzer's input on which libhdf5 1.10 loops forever decoding the global heap of the
// variable-length 'config' attribute: the read ends in an error once the child reader's deadline
// (10 s) passes, and the datasets of the same file are read to an error or to data.
TEST(SeriesFileDamage, GlobalHeapLoopEndsInAnErrorAtTheDeadline) {
  const std::string path =
      std::string(QLSWEEP_SOURCE_DIR) + "/fuzz/corpus/series/vlen_attribute_hang";
  const auto start = std::chrono::steady_clock::now();
  try {
    ReadRootAttribute(path, "config");
    ADD_FAILURE() << "read a damaged attribute";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish within"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  for (const char* dataset : {"train/loss", "eval/eval_loss"}) {
    try {
      ReadSeries(path, dataset);
    } catch (const StorageError&) {
    }
  }
}

// Fuzzer inputs on which libhdf5 itself misbehaves: a wild memcpy while decoding the global heap
// of the 'config' attribute (inside the child reader, so the test process lives on) and a malloc of
// 2^64 - 80 bytes in its metadata cache (glibc returns null; libhdf5 reports the failure). Each
// read ends in data or a StorageError, quickly, and never takes the reading process down.
TEST(SeriesFileDamage, LibraryMemoryErrorsEndInAnErrorOrData) {
  for (const char* name : {"wild_memcpy_in_global_heap", "huge_malloc_in_hdf5_cache"}) {
    const std::string path = std::string(QLSWEEP_SOURCE_DIR) + "/fuzz/corpus/series/" + name;
    const auto start = std::chrono::steady_clock::now();
    for (const char* dataset : {"train/loss", "eval/eval_loss"}) {
      try {
        ReadSeries(path, dataset);
      } catch (const StorageError&) {
      }
    }
    try {
      ReadRootAttribute(path, "config");
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Writer, SeriesFileDamageTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Killed" : "Closed"; });

}  // namespace
}  // namespace qlsweep::storage
