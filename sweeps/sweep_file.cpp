// Sweep files: read, check, expand; every problem in the file is reported in one ConfigError.
#include "sweeps/expand.h"
#include "sweeps/issue_list.h"
#include "sweeps/load.h"
#include "sweeps/overrides.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {
namespace {

ExpandedSweep ExpandParsed(std::optional<ParsedDoc> doc, const std::string& file,
                           std::vector<ConfigIssue> issues, const CommandLineOverrides& cli) {
  const auto overrides = ParseOverrides(cli, /*sweep_keys=*/true, issues);
  if (!doc) ThrowIfAny(std::move(issues));
  ApplySweepKeyOverrides(overrides, *doc);
  SweepSpec spec = ParseSweepSpec(*doc, file, issues);
  ApplyOverrides(overrides, spec);
  Expansion expansion = ExpandSweep(spec, file, issues);
  ThrowIfAny(std::move(issues));
  ExpandedSweep out;
  out.name = spec.name;
  out.file = file;
  out.gpu_profile = spec.gpu_profile;
  out.reference = expansion.reference;
  out.spec = std::move(spec.spec);
  out.trials = std::move(expansion.trials);
  out.repeat = spec.repeat;
  out.notes = std::move(expansion.notes);
  out.search = std::move(spec.search);
  return out;
}

}  // namespace

ExpandedSweep LoadSweepFile(const std::string& path, const CommandLineOverrides& overrides) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlFile(path, issues);
  return ExpandParsed(std::move(doc), path, std::move(issues), overrides);
}

ExpandedSweep LoadSweepText(const std::string& yaml_text, const std::string& file,
                            const CommandLineOverrides& overrides) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlText(yaml_text, file, issues);
  return ExpandParsed(std::move(doc), file, std::move(issues), overrides);
}

}  // namespace qlsweep::sweeps
