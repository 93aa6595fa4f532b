// Collected config issues: put in reading order, drop repeats, throw them together.
#include "sweeps/issue_list.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace qlsweep::sweeps {

void SortAndDedupe(std::vector<ConfigIssue>& issues) {
  std::set<std::tuple<std::string, int, std::string, std::string>> seen;
  std::vector<ConfigIssue> unique;
  for (auto& issue : issues) {
    if (seen.emplace(issue.file, issue.line, issue.key, issue.message).second) {
      unique.push_back(std::move(issue));
    }
  }
  std::stable_sort(unique.begin(), unique.end(),
                   [](const ConfigIssue& a, const ConfigIssue& b) { return a.line < b.line; });
  issues = std::move(unique);
}

void ThrowIfAny(std::vector<ConfigIssue> issues) {
  if (issues.empty()) return;
  SortAndDedupe(issues);
  throw ConfigError(std::move(issues));
}

}  // namespace qlsweep::sweeps
