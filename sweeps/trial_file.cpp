// Single trial files: reading (with file:line errors) and writing them.
#include "sweeps/trial_file.h"

#include "sweeps/assignments.h"
#include "sweeps/issue_list.h"
#include "sweeps/load.h"
#include "sweeps/overrides.h"
#include "sweeps/resolve.h"
#include "sweeps/value_check.h"
#include "sweeps/value_text.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {
namespace {

// Resolves a parsed trial document; throws ConfigError with every issue (including `issues`).
TrialConfig ResolveParsed(const ParsedDoc& doc, const std::string& file,
                          std::vector<ConfigIssue> issues, const CommandLineOverrides& cli = {}) {
  const auto overrides = ParseOverrides(cli, /*sweep_keys=*/false, issues);
  const auto& json = doc.json;
  Assignments assignments = FlattenTrialDoc(json, doc.lines, "", file, issues, {"name", "id"});
  std::string name, id;
  for (const char* key : {"name", "id"}) {
    if (!json.is_object() || !json.contains(key)) continue;
    const int line = LineAt(doc.lines, ChildPointer("", key));
    if (!json.at(key).is_string() || json.at(key).get<std::string>().empty()) {
      issues.push_back(
          ConfigIssue{file, line, key,
                      "expected a non-empty string, got " + DescribeValue(ToSorted(json.at(key)))});
      continue;
    }
    if (std::string error = ControlCharacterError(json.at(key).get<std::string>());
        !error.empty()) {
      issues.push_back(ConfigIssue{file, line, key, error});
      continue;
    }
    (std::string(key) == "name" ? name : id) = json.at(key).get<std::string>();
  }
  ApplyOverrides(overrides, assignments, &name, issues);
  if (!overrides.empty()) id.clear();  // the written id is of the file before the overrides
  std::optional<TrialConfig> trial = ResolveAssignments(assignments, file, "", issues);
  if (trial && !id.empty() && id != trial->id) {
    issues.push_back(ConfigIssue{file, LineAt(doc.lines, "/id"), "id",
                                 "'" + id + "' does not match the config, whose id is '" +
                                     trial->id + "'; remove `id:` after editing a trial"});
  }
  ThrowIfAny(std::move(issues));
  trial->name = name.empty() ? trial->id : name;
  return *trial;
}

}  // namespace

TrialConfig LoadTrialFile(const std::string& path, const CommandLineOverrides& overrides) {
  std::vector<ConfigIssue> issues;
  std::optional<ParsedDoc> doc = ParseYamlFile(path, issues);
  if (!doc) ThrowIfAny(std::move(issues));
  return ResolveParsed(*doc, path, std::move(issues), overrides);
}

TrialConfig LoadTrialText(const std::string& yaml_text, const std::string& file,
                          const CommandLineOverrides& overrides) {
  std::vector<ConfigIssue> issues;
  std::optional<ParsedDoc> doc = ParseYamlText(yaml_text, file, issues);
  if (!doc) ThrowIfAny(std::move(issues));
  return ResolveParsed(*doc, file, std::move(issues), overrides);
}

TrialConfig ResolveTrial(const nlohmann::json& doc, const std::string& file) {
  return ResolveParsed(ParsedDoc{ToOrdered(doc), {}}, file, {});
}

nlohmann::json TrialDocument(const TrialConfig& trial) {
  nlohmann::json doc = trial.resolved;
  // With model.weights the resolved preset is "" (no preset), which is not a value a file may
  // set: left out, it resolves to "" again, so the document keeps the trial's id.
  if (!trial.model.weights.empty()) doc["model"].erase("preset");
  doc["id"] = trial.id;
  doc["name"] = trial.name;
  return doc;
}

}  // namespace qlsweep::sweeps
