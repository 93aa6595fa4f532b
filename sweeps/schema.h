// The trial schema: every trial key with its type, default, allowed values and a one-line doc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlsweep::sweeps {

// The value types a trial key can have.
enum class ValueType { kInt, kFloat, kBool, kString, kStringList };

// "int", "float", "bool", "string" or "string list".
std::string_view TypeName(ValueType type);

// Bounds of a numeric key; a missing side is unbounded (int keys are always capped to fit an int).
struct Range {
  std::optional<double> min;
  bool min_open = false;  // true: value must be > min, else >= min
  std::optional<double> max;
  bool max_open = false;  // true: value must be < max, else <= max
};

// One trial key. Keys are "section.leaf" (exactly one dot); sections group keys in trial files.
struct KeySpec {
  std::string key;                      // dotted path, e.g. "lora.r"
  ValueType type = ValueType::kString;  // what values are accepted
  nlohmann::json default_value;         // canonical default (int keys int64, float keys double)
  std::vector<std::string> choices;     // strings: allowed values; string lists: allowed items
  Range range;                          // numeric keys only
  bool power_of_two = false;            // int keys only: value must be a power of two
  size_t min_items = 0;                 // string lists only: fewest items
  std::string doc;                      // one line for --help and docs/trial-config.md
  // False for keys added after trial ids were first recorded: at their default they are left out
  // of the id's canonical text, so adding a key never changes the ids of existing trials.
  bool id_at_default = true;

  std::string Section() const;  // "lora" for "lora.r"
  std::string Leaf() const;     // "r" for "lora.r"
};

// Every trial key, grouped by section, in documentation order.
const std::vector<KeySpec>& Schema();

// The key's spec, or nullptr when `dotted` is not a trial key.
const KeySpec* FindKey(std::string_view dotted);

// True when `dotted` names a section (e.g. "lora"), i.e. a prefix of trial keys.
bool IsSection(std::string_view dotted);

// The section names in documentation order.
std::vector<std::string> Sections();

// The allowed values of `spec` as text, e.g. "one of none, nf4, fp4", "[0, 1)", ">= 1"; empty if
// any.
std::string ConstraintText(const KeySpec& spec);

}  // namespace qlsweep::sweeps
