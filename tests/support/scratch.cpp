// Scratch folders: the per-process root, per-test folders, and their removal with nftw.
#include "tests/support/scratch.h"

#include <ftw.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace qlsweep::testing {
namespace {

// The per-process root; the static object's destructor removes it when the process exits.
class ScratchRoot {
 public:
  ScratchRoot()
      : path_(std::filesystem::temp_directory_path() /
              ("qlsweep-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchRoot() { RemoveTree(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// "Suite.Test" of the running test, made safe as a file name ("Rows/Suite.Test/0" has slashes).
std::string CurrentTestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name =
      info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "no-test";
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  }
  return name;
}

// 1, 2, 3, ...: two folders of one test never share a name.
int NextNumber() {
  static std::atomic<int> next{0};
  return ++next;
}

}  // namespace

void RemoveTree(const std::filesystem::path& path) {
  nftw(
      path.c_str(),
      [](const char* file, const struct stat*, int, struct FTW*) { return std::remove(file); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

std::string ScratchPath(const std::string& name) {
  static const ScratchRoot root;
  const auto path = root.path() / name;
  std::filesystem::create_directories(path.parent_path());
  return path.string();
}

ScratchDir::ScratchDir(bool keep_on_failure)
    : path_(std::filesystem::temp_directory_path() /
            ("qlsweep-" + std::to_string(::getpid()) + "-" + std::to_string(NextNumber()) + "-" +
             CurrentTestName())),
      keep_on_failure_(keep_on_failure) {
  RemoveTree(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  if (keep_on_failure_ && ::testing::Test::HasFailure()) {
    std::fprintf(stderr, "kept the failed test's folder %s\n", path_.c_str());
    return;
  }
  RemoveTree(path_);
}

std::string ScratchDir::File(const std::string& name) const { return (path_ / name).string(); }

std::string ScratchDir::Write(const std::string& name, const std::string& text) const {
  const std::string file = File(name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file);
  return file;
}

}  // namespace qlsweep::testing
