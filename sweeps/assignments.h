// Trial documents (nested sections, dotted keys or both) -> flat list of key = value assignments.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/config_error.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {

// One trial key set to a value, as written (not yet checked), with where it was written.
struct Assignment {
  std::string key;       // dotted trial key, e.g. "lora.r"
  nlohmann::json value;  // raw value
  int line = 0;          // 1-based line; 0 when unknown
  std::string pointer;   // JSON pointer of the value in its document (for lines of list items)
};

// Later assignments of a key override earlier ones.
using Assignments = std::vector<Assignment>;

// Flattens the mapping `doc` (found at `pointer` in a parsed document with `lines`) into
// assignments, in file order. `lora: {r: 8}` and `lora.r: 8` are the same assignment. Top-level
// keys listed in `skip` are left to the caller. Unknown keys (with a did-you-mean hint), a
// section given something other than a mapping, and a key set twice become issues.
Assignments FlattenTrialDoc(const nlohmann::ordered_json& doc, const LineMap& lines,
                            const std::string& pointer, const std::string& file,
                            std::vector<ConfigIssue>& issues,
                            const std::vector<std::string>& skip = {});

// The issue for a key that is not a trial key: "unknown key 'x'; did you mean 'y'?".
ConfigIssue UnknownKeyIssue(const std::string& file, int line, const std::string& key);

}  // namespace qlsweep::sweeps
