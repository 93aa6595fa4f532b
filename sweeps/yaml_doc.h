// YAML (or JSON) text -> JSON document plus the 1-based line of every node, for file:line errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/config_error.h"

namespace qlsweep::sweeps {

// Line of each node, keyed by JSON pointer ("/lora/r", "/grid/lora.r/0"). A mapping entry's
// line is the line of its key.
using LineMap = std::map<std::string, int>;

// A parsed document; keys keep their file order.
struct ParsedDoc {
  nlohmann::ordered_json json;  // null for an empty document
  LineMap lines;
};

// JSON pointer of a child: ChildPointer("/grid", "lora.r") == "/grid/lora.r".
std::string ChildPointer(const std::string& parent, std::string_view key);
std::string ChildPointer(const std::string& parent, size_t index);

// The line recorded for `pointer`, or 0 when unknown.
int LineAt(const LineMap& lines, const std::string& pointer);

// Limits on a document, so that a small file cannot expand without bound (nested aliases, the
// "billion laughs"): values after alias expansion, their scalar text, and nesting depth.
inline constexpr size_t kMaxYamlNodes = 100000;
inline constexpr size_t kMaxYamlScalarBytes = 16u << 20;
inline constexpr int kMaxYamlDepth = 100;

// Parses YAML 1.2 text (JSON is accepted too). Plain scalars are typed by the YAML 1.2 core
// schema (null, true/false, integers, floats); quoted scalars are strings. Syntax errors, duplicate
// keys and unsupported tags are appended to `issues` labelled with `file`; returns nothing when
// the text could not be parsed at all, and also when the text is not UTF-8, holds more than one
// document (a second `---`) or passes one of the limits above (each an issue with its line).
std::optional<ParsedDoc> ParseYamlText(const std::string& text, const std::string& file,
                                       std::vector<ConfigIssue>& issues);

// Reads and parses `path`; an unreadable file (missing, a directory, not a regular file, larger
// than kMaxTextFileBytes) is an issue naming the file.
std::optional<ParsedDoc> ParseYamlFile(const std::string& path, std::vector<ConfigIssue>& issues);

// Converts between the ordered and the sorted JSON flavours.
nlohmann::json ToSorted(const nlohmann::ordered_json& value);
nlohmann::ordered_json ToOrdered(const nlohmann::json& value);

}  // namespace qlsweep::sweeps
