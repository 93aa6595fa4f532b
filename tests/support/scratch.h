// Scratch folders for tests: one root per test process (removed at exit) and fresh per-test
// folders. Removal uses POSIX nftw, not std::filesystem::remove_all: libtorch.so carries its own
// copy of the latter, which crashes when it wins symbol resolution in a test that links libtorch.
#pragma once

#include <filesystem>
#include <string>

namespace qlsweep::testing {

// Removes `path` and everything under it (no symlinks followed); a missing path is no error.
void RemoveTree(const std::filesystem::path& path);

// A path inside this process's scratch root (<tmp>/qlsweep-test-<pid>, created on first use and
// removed when the process exits); the folders of `name` ("gguf/bad.gguf") are created.
std::string ScratchPath(const std::string& name);

// A fresh, empty folder for the running test, <tmp>/qlsweep-<pid>-<n>-<suite>.<test>, removed with
// its contents when the object goes away (kept when `keep_on_failure` and the test failed).
class ScratchDir {
 public:
  explicit ScratchDir(bool keep_on_failure = false);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A path inside the folder (the file itself is not created).
  std::string File(const std::string& name) const;
  // Writes `text` to `name` inside the folder and returns its path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
  bool keep_on_failure_;
};

}  // namespace qlsweep::testing
