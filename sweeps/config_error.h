// Errors in sweep and trial files, each naming the file, line and dotted key it is about.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace qlsweep::sweeps {

// One problem found in a config: where it is and what is wrong.
struct ConfigIssue {
  std::string file;  // path as given by the user; empty for configs built in code
  int line = 0;      // 1-based line in `file`; 0 when unknown
  std::string key;   // dotted path, e.g. "lora.r"; empty for file-level problems
  std::string message;

  // "file:line: key: message" (parts that are unknown are left out).
  std::string ToString() const;
};

// Thrown when a config is invalid; carries every problem found, not just the first.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

}  // namespace qlsweep::sweeps
