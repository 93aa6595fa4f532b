// Formatting of config problems for users: "file:line: key: message".
#include "sweeps/config_error.h"

#include "sweeps/input_file.h"

namespace qlsweep::sweeps {
namespace {

std::string JoinIssues(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    if (!out.empty()) out += "\n";
    out += issue.ToString();
  }
  return out;
}

}  // namespace

// Paths are bytes: one that is not UTF-8 is escaped (\xNN), so the message can go into a JSON
// event (`qlsweep train` reports config errors as one).
std::string ConfigIssue::ToString() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!key.empty()) out += key + ": ";
  return Utf8Safe(out + message);
}

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : std::runtime_error(JoinIssues(issues)), issues_(std::move(issues)) {}

}  // namespace qlsweep::sweeps
