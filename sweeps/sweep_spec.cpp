// A sweep file's structure, read and checked key by key, before any trial is expanded.
#include "sweeps/sweep_spec.h"

#include <algorithm>
#include <map>
#include <regex>

#include "sweeps/fit_search.h"
#include "sweeps/gpu_profiles.h"
#include "sweeps/random_search.h"
#include "sweeps/schema.h"
#include "sweeps/suggest.h"
#include "sweeps/value_check.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

using ojson = nlohmann::ordered_json;

const std::vector<std::string> kSweepKeys = {"name",   "description", "gpu_profile", "reference",
                                             "repeat", "base",        "grid",        "zip",
                                             "points", "include",     "exclude",     "search"};

class SpecParser {
 public:
  SpecParser(const ParsedDoc& doc, const std::string& file, std::vector<ConfigIssue>& issues)
      : doc_(doc), file_(file), issues_(issues) {}

  SweepSpec Parse() {
    SweepSpec spec;
    spec.spec = ToSorted(doc_.json);
    if (!doc_.json.is_object()) {
      Issue(doc_.json.is_null() ? 0 : LineAt(doc_.lines, ""), "",
            "a sweep file is a mapping with at least `name:`, got " + DescribeValue(spec.spec));
      return spec;
    }
    for (const auto& [key, value] : doc_.json.items()) {
      if (std::find(kSweepKeys.begin(), kSweepKeys.end(), key) != kSweepKeys.end()) continue;
      std::string message = "unknown sweep key '" + key + "'";
      if (FindKey(key) != nullptr || IsSection(key)) {
        message += "; trial keys go under `base:`";
      } else {
        message += DidYouMean(key, kSweepKeys);
      }
      Issue(Line("/" + key), key, message);
    }
    ParseName(spec);
    spec.description = OptionalString("description");
    spec.gpu_profile = OptionalString("gpu_profile");
    spec.gpu_profile_line = Line("/gpu_profile");
    if (std::string error = GpuProfileError(spec.gpu_profile); !error.empty()) {
      Issue(spec.gpu_profile_line, "gpu_profile", error);
      spec.gpu_profile.clear();  // reported once here, not again in every trial
    }
    spec.reference = OptionalString("reference");
    spec.reference_line = Line("/reference");
    ParseRepeat(spec);
    if (doc_.json.contains("base")) {
      spec.base = FlattenTrialDoc(doc_.json.at("base"), doc_.lines, "/base", file_, issues_);
    }
    ParseGrid(spec);
    ParseZip(spec);
    spec.points = ParsePoints();
    spec.includes = ParseIncludes();
    spec.excludes = ParseExcludes();
    ParseSearchSection(spec);
    return spec;
  }

 private:
  int Line(const std::string& pointer) const { return LineAt(doc_.lines, pointer); }

  void Issue(int line, const std::string& key, std::string message) {
    issues_.push_back(ConfigIssue{file_, line, key, std::move(message)});
  }

  void ParseName(SweepSpec& spec) {
    if (!doc_.json.contains("name")) {
      Issue(0, "name", "missing: every sweep needs a `name:` made of [A-Za-z0-9_.-]");
      return;
    }
    const ojson& name = doc_.json.at("name");
    if (!name.is_string() || !IsValidName(name.get<std::string>())) {
      Issue(Line("/name"), "name",
            "must be made of [A-Za-z0-9_.-] (at least one), got " + DescribeValue(ToSorted(name)));
      return;
    }
    spec.name = name.get<std::string>();
  }

  void ParseRepeat(SweepSpec& spec) {
    if (!doc_.json.contains("repeat")) return;
    const ojson& value = doc_.json.at("repeat");
    spec.repeat_line = Line("/repeat");
    if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
        value.get<int64_t>() > kMaxRepeat) {
      Issue(spec.repeat_line, "repeat",
            "must be an integer in [1, " + std::to_string(kMaxRepeat) +
                "] (seeds per trial), got " + DescribeValue(ToSorted(value)));
      return;
    }
    spec.repeat = value.get<int>();
  }

  std::string OptionalString(const std::string& key) {
    if (!doc_.json.contains(key)) return "";
    const ojson& value = doc_.json[key];
    if (!value.is_string()) {
      Issue(Line("/" + key), key, "expected a string, got " + DescribeValue(ToSorted(value)));
      return "";
    }
    return value.get<std::string>();
  }

  // The value at top-level `key` if it is a non-empty list (a lone mapping counts as a list of
  // one when `allow_single` is set); otherwise an issue and nothing.
  std::vector<std::pair<const ojson*, std::string>> ListItems(const std::string& key,
                                                              bool allow_single) {
    std::vector<std::pair<const ojson*, std::string>> items;
    if (!doc_.json.contains(key)) return items;
    const ojson& value = doc_.json[key];
    const std::string pointer = "/" + key;
    if (allow_single && value.is_object()) {
      items.emplace_back(&value, pointer);
    } else if (!value.is_array()) {
      Issue(Line(pointer), key, "expected a list, got " + DescribeValue(ToSorted(value)));
    } else if (value.empty()) {
      Issue(Line(pointer), key, "empty list: give at least one entry or remove the key");
    } else {
      for (size_t i = 0; i < value.size(); ++i) {
        items.emplace_back(&value[i], ChildPointer(pointer, i));
      }
    }
    return items;
  }

  // Checks that `assignment` holds a non-empty list of values and returns one assignment per
  // value; `where` names the list's place in messages.
  std::optional<Assignments> AxisValues(const Assignment& assignment, const std::string& where) {
    const auto& list = assignment.value;
    if (!list.is_array()) {
      Issue(assignment.line, assignment.key,
            where + " values must be a list, got " + DescribeValue(list));
      return std::nullopt;
    }
    if (list.empty()) {
      Issue(assignment.line, assignment.key, "empty list: give at least one value");
      return std::nullopt;
    }
    const KeySpec* spec = FindKey(assignment.key);
    if (spec->type == ValueType::kStringList &&
        !std::all_of(list.begin(), list.end(), [](const auto& v) { return v.is_array(); })) {
      Issue(assignment.line, assignment.key,
            "each value of a list key is itself a list, e.g. " + assignment.key +
                ": [[q, v], [q, k, v, o]]");
      return std::nullopt;
    }
    Assignments values;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string pointer = ChildPointer(assignment.pointer, i);
      values.push_back(Assignment{assignment.key, list[i], Line(pointer), pointer});
    }
    return values;
  }

  // Records that `key` is varied at `line`; a key varied twice is an issue.
  bool ClaimAxisKey(const std::string& key, int line) {
    auto [it, inserted] = axis_keys_.emplace(key, line);
    if (!inserted) {
      Issue(line, key, "varied twice (also at line " + std::to_string(it->second) + ")");
    }
    return inserted;
  }

  void ParseGrid(SweepSpec& spec) {
    if (!doc_.json.contains("grid")) return;
    const ojson& grid = doc_.json.at("grid");
    if (!grid.is_object() || grid.empty()) {
      Issue(
          Line("/grid"), "grid",
          "expected a mapping of trial keys to lists of values, got " +
              (grid.is_object() ? std::string("an empty mapping") : DescribeValue(ToSorted(grid))));
      return;
    }
    for (const auto& assignment : FlattenTrialDoc(grid, doc_.lines, "/grid", file_, issues_)) {
      auto values = AxisValues(assignment, "grid");
      if (!values || !ClaimAxisKey(assignment.key, assignment.line)) continue;
      Axis axis{{assignment.key}, assignment.line, {}};
      for (auto& value : *values) axis.positions.push_back(Assignments{std::move(value)});
      spec.axes.push_back(std::move(axis));
    }
  }

  void ParseZip(SweepSpec& spec) {
    for (const auto& [group, pointer] : ListItems("zip", /*allow_single=*/true)) {
      const int line = Line(pointer);
      if (!group->is_object() || group->empty()) {
        Issue(line, "zip", "each zip entry is a mapping of trial keys to equal-length lists");
        continue;
      }
      Axis axis;
      axis.line = line;
      bool ok = true;
      std::vector<Assignments> columns;
      for (const auto& assignment : FlattenTrialDoc(*group, doc_.lines, pointer, file_, issues_)) {
        auto values = AxisValues(assignment, "zip");
        if (!values || !ClaimAxisKey(assignment.key, assignment.line)) {
          ok = false;
          continue;
        }
        axis.keys.push_back(assignment.key);
        columns.push_back(std::move(*values));
      }
      if (!ok || columns.empty()) continue;
      std::string lengths;
      bool equal = true;
      for (size_t k = 0; k < columns.size(); ++k) {
        equal = equal && columns[k].size() == columns[0].size();
        lengths += (k ? ", " : "") + axis.keys[k] + " has " + std::to_string(columns[k].size());
      }
      if (!equal) {
        Issue(line, "zip", "lists must have the same length to vary together: " + lengths);
        continue;
      }
      for (size_t i = 0; i < columns[0].size(); ++i) {
        Assignments position;
        for (auto& column : columns) position.push_back(column[i]);
        axis.positions.push_back(std::move(position));
      }
      spec.axes.push_back(std::move(axis));
    }
  }

  // `search:`: a random search's draws or a fit search's candidates become the last axis.
  void ParseSearchSection(SweepSpec& spec) {
    spec.search = ParseSearch(doc_, file_, issues_);
    if (spec.search.kind == SearchKind::kRandom && !spec.search.space.empty()) {
      bool ok = true;
      for (const auto& range : spec.search.space) ok = ClaimAxisKey(range.key, range.line) && ok;
      if (!ok || spec.search.trials < 1) return;
      RandomDraws draws = DrawTrials(spec.search.space, spec.search.trials, spec.search.seed);
      if (draws.exhausted) {
        spec.notes.push_back("the random search's space holds only " +
                             std::to_string(draws.trials.size()) + " distinct trial(s), not " +
                             std::to_string(spec.search.trials));
      }
      Axis axis;
      axis.line = spec.search.line;
      for (const auto& range : spec.search.space) axis.keys.push_back(range.key);
      axis.positions = std::move(draws.trials);
      spec.axes.push_back(std::move(axis));
    }
    if (spec.search.kind == SearchKind::kFit) {
      // One configuration is pushed up: nothing else may vary.
      for (const char* key : {"grid", "zip", "points", "include", "exclude", "repeat"}) {
        if (!doc_.json.contains(key)) continue;
        Issue(Line(std::string("/") + key), key,
              "not with a fit search (`search: {kind: fit}`), which probes one configuration; "
              "run one fit sweep per configuration");
      }
      if (spec.search.key.empty() || !ClaimAxisKey(spec.search.key, spec.search.key_line)) return;
      Axis axis{{spec.search.key}, spec.search.key_line, {}};
      for (int64_t value : FitCandidates(spec.search.low, spec.search.high, spec.search.step)) {
        axis.positions.push_back(
            Assignments{Assignment{spec.search.key, value, spec.search.key_line, "/search/key"}});
      }
      spec.axes.push_back(std::move(axis));
    }
  }

  // Checks the `name:` of a point or include entry; "" when absent or invalid.
  std::string EntryName(const ojson& entry, const std::string& pointer, const std::string& what) {
    if (!entry.contains("name")) return "";
    const ojson& name = entry.at("name");
    if (!name.is_string() || !IsValidName(name.get<std::string>())) {
      Issue(Line(ChildPointer(pointer, "name")), what + ".name",
            "must be made of [A-Za-z0-9_.-] (at least one), got " + DescribeValue(ToSorted(name)));
      return "";
    }
    auto [it, inserted] = entry_names_.emplace(name.get<std::string>(), Line(pointer));
    if (!inserted) {
      Issue(Line(ChildPointer(pointer, "name")), what + ".name",
            "'" + it->first + "' is already used at line " + std::to_string(it->second));
      return "";
    }
    return name.get<std::string>();
  }

  std::vector<NamedSet> ParsePoints() {
    std::vector<NamedSet> points;
    for (const auto& [entry, pointer] : ListItems("points", /*allow_single=*/false)) {
      const int line = Line(pointer);
      if (!entry->is_object()) {
        Issue(line, "points", "each point is a mapping with `name:` and `set:`");
        continue;
      }
      for (const auto& [key, value] : entry->items()) {
        if (key == "name" || key == "set") continue;
        std::string message = "unknown point key '" + key + "'; a point has `name:` and `set:`";
        if (FindKey(key) != nullptr || IsSection(key)) message += " (trial keys go under `set:`)";
        Issue(Line(ChildPointer(pointer, key)), "points." + key, message);
      }
      NamedSet point{EntryName(*entry, pointer, "points"), line, {}};
      if (!entry->contains("name")) Issue(line, "points", "a point needs a `name:`");
      if (entry->contains("set")) {
        point.set = FlattenTrialDoc(entry->at("set"), doc_.lines, ChildPointer(pointer, "set"),
                                    file_, issues_);
      }
      if (!point.name.empty()) points.push_back(std::move(point));
    }
    return points;
  }

  std::vector<NamedSet> ParseIncludes() {
    std::vector<NamedSet> includes;
    for (const auto& [entry, pointer] : ListItems("include", /*allow_single=*/false)) {
      const int line = Line(pointer);
      if (!entry->is_object() || entry->empty()) {
        Issue(line, "include", "each include entry is a non-empty mapping of trial keys to values");
        continue;
      }
      NamedSet include{EntryName(*entry, pointer, "include"), line, {}};
      include.set = FlattenTrialDoc(*entry, doc_.lines, pointer, file_, issues_, {"name"});
      includes.push_back(std::move(include));
    }
    return includes;
  }

  // The alternatives an exclude key matches: a list of values, or one value. For a list key a
  // list of strings is one value and a list of lists is alternatives.
  std::vector<Assignment> ExcludeAlternatives(const Assignment& assignment) {
    const KeySpec* spec = FindKey(assignment.key);
    const auto& value = assignment.value;
    bool is_alternatives = value.is_array();
    if (spec->type == ValueType::kStringList) {
      is_alternatives =
          value.is_array() && !value.empty() &&
          std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_array(); });
    }
    if (!is_alternatives) return {assignment};
    std::vector<Assignment> out;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string pointer = ChildPointer(assignment.pointer, i);
      out.push_back(Assignment{assignment.key, value[i], Line(pointer), pointer});
    }
    return out;
  }

  std::vector<ExcludeRule> ParseExcludes() {
    std::vector<ExcludeRule> rules;
    for (const auto& [entry, pointer] : ListItems("exclude", /*allow_single=*/false)) {
      ExcludeRule rule{Line(pointer), {}};
      if (!entry->is_object() || entry->empty()) {
        Issue(rule.line, "exclude",
              "each exclude entry is a non-empty mapping of trial keys to values");
        continue;
      }
      bool ok = true;
      for (const auto& assignment : FlattenTrialDoc(*entry, doc_.lines, pointer, file_, issues_)) {
        if (assignment.value.is_array() && assignment.value.empty()) {
          Issue(assignment.line, assignment.key, "empty list: give at least one value");
          ok = false;
          continue;
        }
        std::vector<nlohmann::json> values;
        for (const auto& alternative : ExcludeAlternatives(assignment)) {
          CheckedValue checked = CheckValue(*FindKey(alternative.key), alternative.value);
          if (!checked.error.empty()) {
            Issue(alternative.line, alternative.key, checked.error);
            ok = false;
          }
          values.push_back(std::move(checked.value));
        }
        rule.keys.emplace_back(assignment.key, std::move(values));
      }
      if (ok && !rule.keys.empty()) rules.push_back(std::move(rule));
    }
    return rules;
  }

  const ParsedDoc& doc_;
  const std::string& file_;
  std::vector<ConfigIssue>& issues_;
  std::map<std::string, int> axis_keys_;    // key -> line where it is varied
  std::map<std::string, int> entry_names_;  // point and include names -> line
};

}  // namespace

bool IsValidName(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9_.-]+");
  return std::regex_match(name, kName);
}

SweepSpec ParseSweepSpec(const ParsedDoc& doc, const std::string& file,
                         std::vector<ConfigIssue>& issues) {
  return SpecParser(doc, file, issues).Parse();
}

}  // namespace qlsweep::sweeps
