// One scratch folder per test process for the tests that link libtorch, removed when the process
// exits. (libtorch.so's copy of std::filesystem::remove_all crashes when it wins symbol
// resolution, so the tree is removed with POSIX nftw instead.)
#pragma once

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace qlsweep::testing {

class ScratchRoot {
 public:
  ScratchRoot()
      : path_(std::filesystem::temp_directory_path() /
              ("qlsweep-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchRoot() {
    nftw(
        path_.c_str(),
        [](const char* file, const struct stat*, int, struct FTW*) { return std::remove(file); },
        16, FTW_DEPTH | FTW_PHYS);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A path inside this process's scratch folder; `name` may contain sub-folders, which are created.
inline std::string ScratchPath(const std::string& name) {
  static const ScratchRoot root;
  const auto path = root.path() / name;
  std::filesystem::create_directories(path.parent_path());
  return path.string();
}

}  // namespace qlsweep::testing
