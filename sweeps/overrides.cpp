// Command-line overrides: KEY=VALUE parsed as YAML, checked against the schema, applied last.
#include "sweeps/overrides.h"

#include <algorithm>
#include <map>
#include <regex>

#include "sweeps/gpu_profiles.h"
#include "sweeps/schema.h"
#include "sweeps/suggest.h"
#include "sweeps/value_check.h"
#include "sweeps/value_text.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {
namespace {

// Sweep keys an override may set (string-valued unless noted).
const std::vector<std::string> kSweepOverrideKeys = {"name", "description", "gpu_profile",
                                                     "reference", "repeat"};

ConfigIssue Issue(const std::string& key, std::string message) {
  return ConfigIssue{kCommandLine, 0, key, std::move(message)};
}

// Splits at commas outside brackets, braces and quotes: "[q,v],[k]" -> "[q,v]", "[k]".
std::vector<std::string> SplitTopLevel(const std::string& text) {
  std::vector<std::string> parts(1);
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      parts.emplace_back();
      continue;
    }
    parts.back() += c;
  }
  return parts;
}

// One VALUE as YAML: a scalar or a flow list; empty text is the empty string.
std::optional<nlohmann::json> ParseValue(const std::string& key, const std::string& text,
                                         std::vector<ConfigIssue>& issues) {
  if (text.empty()) return nlohmann::json("");
  std::vector<ConfigIssue> yaml_issues;
  auto doc = ParseYamlText(text, kCommandLine, yaml_issues);
  if (!doc || !yaml_issues.empty()) {
    issues.push_back(Issue(key, "cannot read '" + text + "' as a YAML value"));
    return std::nullopt;
  }
  if (doc->json.is_object()) {
    issues.push_back(Issue(key, "expected a value or a list, got a mapping '" + text + "'"));
    return std::nullopt;
  }
  if (doc->json.is_null()) return nlohmann::json("");
  return ToSorted(doc->json);
}

// The canonical value of a sweep key, or an issue.
std::optional<nlohmann::json> CheckSweepValue(const std::string& key, const nlohmann::json& value,
                                              std::vector<ConfigIssue>& issues) {
  if (key == "repeat") {
    if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
        value.get<int64_t>() > kMaxRepeat) {
      issues.push_back(Issue(key, "must be an integer in [1, " + std::to_string(kMaxRepeat) +
                                      "], got " + DescribeValue(value)));
      return std::nullopt;
    }
    return value;
  }
  if (!value.is_string()) {
    issues.push_back(Issue(key, "expected a string, got " + DescribeValue(value)));
    return std::nullopt;
  }
  const std::string text = value.get<std::string>();
  std::string error;
  if (key == "name" && !IsValidName(text)) {
    error = "must be made of [A-Za-z0-9_.-] (at least one), got '" + text + "'";
  } else if (key == "gpu_profile") {
    error = GpuProfileError(text);
  }
  if (!error.empty()) {
    issues.push_back(Issue(key, error));
    return std::nullopt;
  }
  return value;
}

std::optional<nlohmann::json> CheckTrialValue(const KeySpec& spec, const nlohmann::json& value,
                                              std::vector<ConfigIssue>& issues) {
  CheckedValue checked = CheckValue(spec, value);
  if (checked.error.empty() && spec.key == "hardware.gpu_profile") {
    checked.error = GpuProfileError(checked.value.get<std::string>());
  }
  if (!checked.error.empty()) {
    issues.push_back(Issue(spec.key, checked.error));
    return std::nullopt;
  }
  return checked.value;
}

bool IsSweepOverrideKey(const std::string& key) {
  return std::find(kSweepOverrideKeys.begin(), kSweepOverrideKeys.end(), key) !=
         kSweepOverrideKeys.end();
}

void RemoveKey(Assignments& assignments, const std::string& key) {
  std::erase_if(assignments, [&](const Assignment& a) { return a.key == key; });
}

Assignment FromCommandLine(const std::string& key, const nlohmann::json& value) {
  return Assignment{key, value, 0, ""};
}

// A single value wins everywhere: base gets it, every other layer loses the key.
void Pin(const Override& o, SweepSpec& spec) {
  const auto& value = o.values.front();
  RemoveKey(spec.base, o.key);
  spec.base.push_back(FromCommandLine(o.key, value));
  for (auto& axis : spec.axes) {
    const auto at = std::find(axis.keys.begin(), axis.keys.end(), o.key);
    if (at == axis.keys.end()) continue;
    axis.keys.erase(at);
    for (auto& position : axis.positions) RemoveKey(position, o.key);
  }
  std::erase_if(spec.axes, [](const Axis& axis) { return axis.keys.empty(); });
  for (auto& point : spec.points) RemoveKey(point.set, o.key);
  for (auto& include : spec.includes) RemoveKey(include.set, o.key);
  std::erase_if(spec.excludes, [&](ExcludeRule& rule) {
    const auto at = std::find_if(rule.keys.begin(), rule.keys.end(),
                                 [&](const auto& entry) { return entry.first == o.key; });
    if (at == rule.keys.end()) return false;
    const auto& alternatives = at->second;
    const bool can_match =
        std::find(alternatives.begin(), alternatives.end(), value) != alternatives.end();
    rule.keys.erase(at);  // always satisfied now, or the whole rule never is
    return !can_match;
  });
}

// Several values make the key an axis of the grid.
void Vary(const Override& o, SweepSpec& spec) {
  Axis axis{{o.key}, 0, {}};
  for (const auto& value : o.values) axis.positions.push_back({FromCommandLine(o.key, value)});
  RemoveKey(spec.base, o.key);
  for (auto& point : spec.points) RemoveKey(point.set, o.key);
  for (auto& existing : spec.axes) {
    if (existing.keys.size() == 1 && existing.keys.front() == o.key) {
      existing = std::move(axis);
      return;
    }
  }
  for (auto& existing : spec.axes) {  // a zip group loses the key; the new axis crosses it
    const auto at = std::find(existing.keys.begin(), existing.keys.end(), o.key);
    if (at == existing.keys.end()) continue;
    existing.keys.erase(at);
    for (auto& position : existing.positions) RemoveKey(position, o.key);
  }
  std::erase_if(spec.axes, [](const Axis& a) { return a.keys.empty(); });
  spec.axes.push_back(std::move(axis));
}

}  // namespace

bool IsOverrideArg(const std::string& arg) {
  static const std::regex kOverride("[A-Za-z0-9_.-]+=.*");
  return std::regex_match(arg, kOverride);
}

std::vector<Override> ParseOverrides(const CommandLineOverrides& overrides, bool sweep_keys,
                                     std::vector<ConfigIssue>& issues) {
  std::vector<Override> out;
  std::map<std::string, std::string> seen;  // key -> the argument that set it
  for (const auto& arg : overrides.args) {
    const auto eq = arg.find('=');
    if (!IsOverrideArg(arg)) {
      issues.push_back(Issue("", "'" + arg + "': expected KEY=VALUE, e.g. lora.r=8"));
      continue;
    }
    Override o{arg, arg.substr(0, eq), {}};
    const KeySpec* spec = FindKey(o.key);
    const bool sweep_key =
        spec == nullptr && (sweep_keys ? IsSweepOverrideKey(o.key) : o.key == "name");
    if (spec == nullptr && !sweep_key) {
      std::vector<std::string> candidates;
      for (const auto& s : Schema()) candidates.push_back(s.key);
      if (sweep_keys) {
        candidates.insert(candidates.end(), kSweepOverrideKeys.begin(), kSweepOverrideKeys.end());
      } else {
        candidates.push_back("name");
      }
      issues.push_back(Issue(o.key, "unknown key '" + o.key + "'" + DidYouMean(o.key, candidates)));
      continue;
    }
    if (auto [it, fresh] = seen.emplace(o.key, arg); !fresh) {
      issues.push_back(Issue(o.key, "given twice ('" + it->second + "' and '" + arg + "')"));
      continue;
    }
    const std::string text = arg.substr(eq + 1);
    // A sweep key takes one value, commas and all (a reference names a trial like "a=1,b=2").
    const auto parts = sweep_key ? std::vector<std::string>{text} : SplitTopLevel(text);
    if (parts.size() > 1 && !overrides.multirun) {
      const bool list_key = spec != nullptr && spec->type == ValueType::kStringList;
      issues.push_back(
          Issue(o.key, "'" + text +
                           "' has several values: pass -m (multirun) to run one trial per value" +
                           (list_key ? ", or write one list value as [" + text + "]" : "")));
      continue;
    }
    bool ok = true;
    for (const auto& part : parts) {
      auto raw = ParseValue(o.key, part, issues);
      std::optional<nlohmann::json> value;
      if (raw)
        value = spec ? CheckTrialValue(*spec, *raw, issues) : CheckSweepValue(o.key, *raw, issues);
      if (!value) {
        ok = false;
        continue;
      }
      if (std::find(o.values.begin(), o.values.end(), *value) != o.values.end()) {
        issues.push_back(Issue(o.key, "value " + ValueText(*value) + " is given twice"));
        ok = false;
        continue;
      }
      o.values.push_back(std::move(*value));
    }
    if (ok) out.push_back(std::move(o));
  }
  return out;
}

void ApplySweepKeyOverrides(const std::vector<Override>& overrides, ParsedDoc& doc) {
  for (const auto& o : overrides) {
    if (FindKey(o.key) != nullptr) continue;
    if (!doc.json.is_object()) doc.json = nlohmann::ordered_json::object();
    doc.json[o.key] = ToOrdered(o.values.front());
    doc.lines.erase(ChildPointer("", o.key));  // not written in the file
  }
}

void ApplyOverrides(const std::vector<Override>& overrides, SweepSpec& spec) {
  if (overrides.empty()) return;
  spec.lenient = true;
  auto applied = nlohmann::json::array();
  for (const auto& o : overrides) {
    applied.push_back(o.text);
    if (FindKey(o.key) == nullptr) continue;  // a sweep key: ApplySweepKeyOverrides
    if (o.values.size() == 1) {
      Pin(o, spec);
    } else {
      Vary(o, spec);
    }
  }
  spec.spec["overrides"] = std::move(applied);
}

void ApplyOverrides(const std::vector<Override>& overrides, Assignments& assignments,
                    std::string* name, std::vector<ConfigIssue>& issues) {
  for (const auto& o : overrides) {
    if (o.values.size() != 1) {
      issues.push_back(Issue(o.key,
                             "a trial file is one trial: several values need a sweep "
                             "(`qlsweep run` or `plan` with -m)"));
      continue;
    }
    if (FindKey(o.key) == nullptr) {  // `name`
      *name = o.values.front().get<std::string>();
      continue;
    }
    RemoveKey(assignments, o.key);
    assignments.push_back(FromCommandLine(o.key, o.values.front()));
  }
}

}  // namespace qlsweep::sweeps
