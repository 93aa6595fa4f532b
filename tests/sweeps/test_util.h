// Helpers shared by the sweeps tests: catching ConfigErrors and describing their issues (scratch
// folders: tests/support/scratch.h).
#pragma once

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sweeps/config_error.h"
#include "tests/support/scratch.h"

namespace qlsweep::sweeps::testing {

// The issues `fn` throws as a ConfigError; fails the test if it throws nothing.
inline std::vector<ConfigIssue> IssuesOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.issues();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

// "LINE: KEY: MESSAGE" of an issue, without its file.
inline std::string Brief(const ConfigIssue& issue) {
  return std::to_string(issue.line) + ": " + issue.key + ": " + issue.message;
}

// All issues, one per line, for failure messages.
inline std::string Describe(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) out += "  " + issue.ToString() + "\n";
  return out;
}

// True when some issue is on `line`, about `key`, and its message contains `text`.
inline bool HasIssue(const std::vector<ConfigIssue>& issues, int line, const std::string& key,
                     const std::string& text) {
  for (const auto& issue : issues) {
    if (issue.line == line && issue.key == key && issue.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A fresh folder for one test, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    path_ = std::filesystem::temp_directory_path() /
            ("qlsweep-sweeps-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }

  // Writes `text` to `name` inside the folder and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace qlsweep::sweeps::testing
