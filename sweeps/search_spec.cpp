// Reading `search:`: its kind, a random search's trials, seed and space, a fit search's key and
// range, each value checked against the key's schema.
#include "sweeps/search_spec.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sweeps/assignments.h"
#include "sweeps/schema.h"
#include "sweeps/suggest.h"
#include "sweeps/value_check.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

using ojson = nlohmann::ordered_json;

const std::vector<std::string> kRandomKeys = {"kind", "trials", "seed", "space"};
const std::vector<std::string> kFitKeys = {"kind", "key", "low", "high", "step"};
const std::vector<std::string> kRangeKeys = {"low", "high", "log", "step", "choice"};

class SearchParser {
 public:
  SearchParser(const ParsedDoc& doc, const std::string& file, std::vector<ConfigIssue>& issues)
      : doc_(doc), file_(file), issues_(issues) {}

  SearchSpec Parse() {
    SearchSpec search;
    if (!doc_.json.is_object() || !doc_.json.contains("search")) return search;
    const ojson& section = doc_.json.at("search");
    search.line = Line("/search");
    if (!section.is_object() || !section.contains("kind")) {
      Issue(search.line, "search",
            "expected a mapping with `kind: random` (with trials, seed, space) or `kind: fit` "
            "(with key, low, high), got " +
                DescribeValue(ToSorted(section)));
      return search;
    }
    const ojson& kind = section.at("kind");
    if (kind == "random") {
      search.kind = SearchKind::kRandom;
    } else if (kind == "fit") {
      search.kind = SearchKind::kFit;
    } else {
      Issue(Line("/search/kind"), "search.kind",
            "must be 'random' or 'fit', got " + DescribeValue(ToSorted(kind)));
      return search;
    }
    const auto& allowed = search.kind == SearchKind::kRandom ? kRandomKeys : kFitKeys;
    for (const auto& [key, value] : section.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Issue(Line("/search/" + key), "search." + key,
              "unknown key of a " + std::string(SearchKindName(search.kind)) + " search" +
                  DidYouMean(key, allowed));
      }
    }
    if (search.kind == SearchKind::kRandom) {
      ParseRandom(section, search);
    } else {
      ParseFit(section, search);
    }
    return search;
  }

 private:
  int Line(const std::string& pointer) const { return LineAt(doc_.lines, pointer); }

  void Issue(int line, const std::string& key, std::string message) {
    issues_.push_back(ConfigIssue{file_, line, key, std::move(message)});
  }

  // An integer in [min, max] at search.<key>, or nullopt (with an issue when present but bad).
  std::optional<int64_t> Integer(const ojson& section, const std::string& key, int64_t min,
                                 int64_t max, bool required) {
    if (!section.contains(key)) {
      if (required) Issue(Line("/search"), "search." + key, "missing");
      return std::nullopt;
    }
    const ojson& value = section.at(key);
    if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
      Issue(Line("/search/" + key), "search." + key,
            "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                "], got " + DescribeValue(ToSorted(value)));
      return std::nullopt;
    }
    return value.get<int64_t>();
  }

  void ParseRandom(const ojson& section, SearchSpec& search) {
    search.trials = static_cast<int>(
        Integer(section, "trials", 1, kMaxSearchTrials, /*required=*/true).value_or(0));
    search.seed = static_cast<uint64_t>(
        Integer(section, "seed", 0, std::numeric_limits<int64_t>::max(), false).value_or(0));
    if (!section.contains("space")) {
      Issue(search.line, "search.space",
            "missing: a random search draws its trials from `space:` (trial key -> {low, high} "
            "or a list of choices)");
      return;
    }
    const ojson& space = section.at("space");
    if (!space.is_object() || space.empty()) {
      Issue(Line("/search/space"), "search.space",
            "expected a mapping of trial keys to ranges, got " + DescribeValue(ToSorted(space)));
      return;
    }
    for (const auto& assignment :
         FlattenTrialDoc(space, doc_.lines, "/search/space", file_, issues_)) {
      if (auto range = ParseRange(assignment)) search.space.push_back(std::move(*range));
    }
  }

  // A checked bound of a range: the key's own check (type, limits) at the bound's line.
  std::optional<double> Bound(const KeySpec& spec, const Assignment& a, const std::string& name) {
    const std::string pointer = ChildPointer(a.pointer, name);
    if (!a.value.contains(name)) {
      Issue(a.line, a.key, "a range needs `low:` and `high:`");
      return std::nullopt;
    }
    CheckedValue checked = CheckValue(spec, a.value.at(name));
    if (!checked.error.empty()) {
      Issue(Line(pointer), a.key, name + ": " + checked.error);
      return std::nullopt;
    }
    return checked.value.get<double>();
  }

  std::optional<SpaceRange> ParseRange(const Assignment& a) {
    const KeySpec& spec = *FindKey(a.key);
    SpaceRange range{a.key, a.line, a.pointer, {}, 0, 0, false, 0, spec.type == ValueType::kInt};
    const bool numeric = spec.type == ValueType::kInt || spec.type == ValueType::kFloat;
    nlohmann::json choices;
    if (a.value.is_array()) {
      choices = a.value;
    } else if (a.value.is_object() && a.value.contains("choice")) {
      choices = a.value.at("choice");
      if (a.value.size() > 1) {
        Issue(a.line, a.key, "`choice:` stands alone; drop low/high/log/step");
        return std::nullopt;
      }
    } else if (!a.value.is_object()) {
      Issue(
          a.line, a.key,
          "expected a range {low: A, high: B} or a list of choices, got " + DescribeValue(a.value));
      return std::nullopt;
    }
    if (!choices.is_null()) {
      if (!choices.is_array() || choices.empty()) {
        Issue(a.line, a.key, "choices must be a non-empty list");
        return std::nullopt;
      }
      bool ok = true;
      for (size_t i = 0; i < choices.size(); ++i) {
        CheckedValue checked = CheckValue(spec, choices[i]);
        if (!checked.error.empty()) {
          const std::string list =
              a.value.is_array() ? a.pointer : ChildPointer(a.pointer, "choice");
          Issue(Line(ChildPointer(list, i)), a.key, checked.error);
          ok = false;
        }
        range.choices.push_back(std::move(checked.value));
      }
      if (!ok) return std::nullopt;
      return range;
    }
    for (const auto& [key, value] : a.value.items()) {
      if (std::find(kRangeKeys.begin(), kRangeKeys.end(), key) == kRangeKeys.end()) {
        Issue(Line(ChildPointer(a.pointer, key)), a.key,
              "unknown range key '" + key + "'" + DidYouMean(key, kRangeKeys));
        return std::nullopt;
      }
    }
    if (!numeric) {
      Issue(a.line, a.key,
            std::string("a ") + std::string(TypeName(spec.type)) +
                " key takes a list of choices, not a range");
      return std::nullopt;
    }
    const auto low = Bound(spec, a, "low");
    const auto high = Bound(spec, a, "high");
    if (!low || !high) return std::nullopt;
    range.low = *low;
    range.high = *high;
    if (range.low >= range.high) {
      Issue(a.line, a.key,
            "low must be below high, got " + ValueText(a.value.at("low")) + " and " +
                ValueText(a.value.at("high")));
      return std::nullopt;
    }
    if (a.value.contains("log")) {
      if (!a.value.at("log").is_boolean()) {
        Issue(Line(ChildPointer(a.pointer, "log")), a.key, "log: expected true or false");
        return std::nullopt;
      }
      range.log = a.value.at("log").get<bool>();
      if (range.log && range.low <= 0) {
        Issue(a.line, a.key, "a log range needs low > 0");
        return std::nullopt;
      }
    }
    if (a.value.contains("step")) {
      const auto& step = a.value.at("step");
      if (!range.is_int || range.log) {
        Issue(Line(ChildPointer(a.pointer, "step")), a.key,
              "step: only for a linear range of an int key");
        return std::nullopt;
      }
      if (!step.is_number_integer() || step.get<int64_t>() < 1) {
        Issue(Line(ChildPointer(a.pointer, "step")), a.key,
              "step: must be a positive integer, got " + DescribeValue(step));
        return std::nullopt;
      }
      range.step = step.get<int64_t>();
    }
    return range;
  }

  void ParseFit(const ojson& section, SearchSpec& search) {
    search.key_line = Line("/search/key");
    if (!section.contains("key") || !section.at("key").is_string()) {
      Issue(section.contains("key") ? search.key_line : search.line, "search.key",
            "a fit search needs `key:`, the int trial key to push up (data.seq_len, lora.r, "
            "train.micro_batch, ...)");
      return;
    }
    search.key = section.at("key").get<std::string>();
    const KeySpec* spec = FindKey(search.key);
    if (spec == nullptr) {
      issues_.push_back(UnknownKeyIssue(file_, search.key_line, search.key));
      search.key.clear();
      return;
    }
    if (spec->type != ValueType::kInt) {
      Issue(search.key_line, "search.key",
            "'" + search.key + "' is a " + std::string(TypeName(spec->type)) +
                " key; a fit search bisects an int key");
      search.key.clear();
      return;
    }
    const int64_t max = std::numeric_limits<int64_t>::max();
    const auto low = Integer(section, "low", std::numeric_limits<int64_t>::min(), max, true);
    const auto high = Integer(section, "high", std::numeric_limits<int64_t>::min(), max, true);
    const auto step = Integer(section, "step", 1, max, false);
    bool ok = low && high;
    for (const char* bound : {"low", "high"}) {
      if (!section.contains(bound)) continue;
      CheckedValue checked = CheckValue(*spec, section.at(bound));
      if (!checked.error.empty()) {
        Issue(Line(std::string("/search/") + bound), search.key,
              std::string(bound) + ": " + checked.error);
        ok = false;
      }
    }
    if (!ok) {
      search.key.clear();
      return;
    }
    search.low = *low;
    search.high = *high;
    search.step = step.value_or(1);
    std::string problem;
    if (search.low >= search.high) {
      problem = "low (" + std::to_string(search.low) + ") must be below high (" +
                std::to_string(search.high) + ")";
    } else if ((search.high - search.low) % search.step != 0) {
      problem = "high - low (" + std::to_string(search.high - search.low) +
                ") must be a multiple of step (" + std::to_string(search.step) + ")";
    } else if ((search.high - search.low) / search.step + 1 > kMaxSearchTrials) {
      problem = "the range holds more than " + std::to_string(kMaxSearchTrials) +
                " values; give a larger step";
    }
    if (!problem.empty()) {
      Issue(search.line, "search", problem);
      search.key.clear();
    }
  }

  const ParsedDoc& doc_;
  const std::string& file_;
  std::vector<ConfigIssue>& issues_;
};

}  // namespace

std::string_view SearchKindName(SearchKind kind) {
  switch (kind) {
    case SearchKind::kRandom:
      return "random";
    case SearchKind::kFit:
      return "fit";
    case SearchKind::kGrid:
      break;
  }
  return "grid";
}

SearchSpec ParseSearch(const ParsedDoc& doc, const std::string& file,
                       std::vector<ConfigIssue>& issues) {
  return SearchParser(doc, file, issues).Parse();
}

}  // namespace qlsweep::sweeps
