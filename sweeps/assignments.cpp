// Trial documents (nested sections, dotted keys or both) -> flat list of key = value assignments.
#include "sweeps/assignments.h"

#include <algorithm>
#include <map>

#include "sweeps/schema.h"
#include "sweeps/suggest.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

const std::vector<std::string>& KeyCandidates() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& spec : Schema()) out.push_back(spec.key);
    for (const auto& section : Sections()) out.push_back(section);
    return out;
  }();
  return names;
}

bool IsSweepKey(const std::string& key) {
  static const std::vector<std::string> kSweepKeys = {"grid",    "zip",  "points",   "include",
                                                      "exclude", "base", "reference"};
  return std::find(kSweepKeys.begin(), kSweepKeys.end(), key) != kSweepKeys.end();
}

class Flattener {
 public:
  Flattener(const LineMap& lines, const std::string& file, std::vector<ConfigIssue>& issues)
      : lines_(lines), file_(file), issues_(issues) {}

  void Walk(const nlohmann::ordered_json& node, const std::string& prefix,
            const std::string& pointer, const std::vector<std::string>& skip, Assignments& out) {
    for (const auto& [name, value] : node.items()) {
      if (prefix.empty() && std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      const std::string dotted = prefix.empty() ? name : prefix + "." + name;
      const std::string child = ChildPointer(pointer, name);
      const int line = LineAt(lines_, child);
      if (FindKey(dotted) != nullptr) {
        Add(Assignment{dotted, ToSorted(value), line, child}, out);
      } else if (IsSection(dotted)) {
        if (value.is_object()) {
          Walk(value, dotted, child, {}, out);
        } else if (!value.is_null()) {
          issues_.push_back(ConfigIssue{file_, line, dotted,
                                        "expected a mapping of " + dotted + ".* keys, got " +
                                            DescribeValue(ToSorted(value))});
        }
      } else {
        issues_.push_back(UnknownKeyIssue(file_, line, dotted));
      }
    }
  }

 private:
  void Add(Assignment assignment, Assignments& out) {
    auto [it, inserted] = first_line_.emplace(assignment.key, assignment.line);
    if (!inserted) {
      issues_.push_back(
          ConfigIssue{file_, assignment.line, assignment.key,
                      "set twice (first at line " + std::to_string(it->second) + ")"});
      return;
    }
    out.push_back(std::move(assignment));
  }

  const LineMap& lines_;
  const std::string& file_;
  std::vector<ConfigIssue>& issues_;
  std::map<std::string, int> first_line_;
};

}  // namespace

Assignments FlattenTrialDoc(const nlohmann::ordered_json& doc, const LineMap& lines,
                            const std::string& pointer, const std::string& file,
                            std::vector<ConfigIssue>& issues,
                            const std::vector<std::string>& skip) {
  Assignments out;
  if (doc.is_null()) return out;
  if (!doc.is_object()) {
    issues.push_back(
        ConfigIssue{file, LineAt(lines, pointer), "",
                    "expected a mapping of trial keys, got " + DescribeValue(ToSorted(doc))});
    return out;
  }
  Flattener(lines, file, issues).Walk(doc, "", pointer, skip, out);
  return out;
}

ConfigIssue UnknownKeyIssue(const std::string& file, int line, const std::string& key) {
  std::string message = "unknown key '" + key + "'";
  if (IsSweepKey(key)) {
    message += " (a sweep-file key; it has no meaning here)";
  } else {
    message += DidYouMean(key, KeyCandidates());
  }
  return ConfigIssue{file, line, key, message};
}

}  // namespace qlsweep::sweeps
