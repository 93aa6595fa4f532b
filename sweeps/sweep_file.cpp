// Sweep files: read, check, expand; every problem in the file is reported in one ConfigError.
#include "sweeps/expand.h"
#include "sweeps/issue_list.h"
#include "sweeps/load.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {
namespace {

ExpandedSweep ExpandParsed(const std::optional<ParsedDoc>& doc, const std::string& file,
                           std::vector<ConfigIssue> issues) {
  if (!doc) ThrowIfAny(std::move(issues));
  SweepSpec spec = ParseSweepSpec(*doc, file, issues);
  Expansion expansion = ExpandSweep(spec, file, issues);
  ThrowIfAny(std::move(issues));
  ExpandedSweep out;
  out.name = spec.name;
  out.file = file;
  out.gpu_profile = spec.gpu_profile;
  out.reference = expansion.reference;
  out.spec = std::move(spec.spec);
  out.trials = std::move(expansion.trials);
  return out;
}

}  // namespace

ExpandedSweep LoadSweepFile(const std::string& path) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlFile(path, issues);
  return ExpandParsed(doc, path, std::move(issues));
}

ExpandedSweep LoadSweepText(const std::string& yaml_text, const std::string& file) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlText(yaml_text, file, issues);
  return ExpandParsed(doc, file, std::move(issues));
}

}  // namespace qlsweep::sweeps
