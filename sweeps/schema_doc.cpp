// The trial schema rendered for people: a text table for --help, a markdown table for docs.
#include "sweeps/schema_doc.h"

#include <algorithm>
#include <array>
#include <vector>

#include "sweeps/schema.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

std::string DefaultText(const KeySpec& spec) {
  if (spec.default_value.is_string() && spec.default_value.get<std::string>().empty()) {
    return "\"\"";
  }
  if (spec.type == ValueType::kFloat) return spec.default_value.dump();  // canonical: 32.0
  return ValueText(spec.default_value);
}

std::string AllowedText(const KeySpec& spec) {
  std::string text = ConstraintText(spec);
  if (!text.empty()) return text;
  return spec.type == ValueType::kBool ? "true, false" : "any";
}

}  // namespace

std::string SchemaHelpText() {
  using Row = std::array<std::string, 5>;
  std::vector<Row> rows = {{"KEY", "TYPE", "DEFAULT", "ALLOWED", "DESCRIPTION"}};
  for (const auto& spec : Schema()) {
    rows.push_back({spec.key, std::string(TypeName(spec.type)), DefaultText(spec),
                    AllowedText(spec), spec.doc});
  }
  std::array<size_t, 4> width{};
  for (const auto& row : rows) {
    for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      line += row[c] + std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += line + row[4] + "\n";
  }
  return out;
}

std::string SchemaMarkdown() {
  std::string out =
      "| key | type | default | allowed | description |\n"
      "|---|---|---|---|---|\n";
  for (const auto& spec : Schema()) {
    out += "| `" + spec.key + "` | " + std::string(TypeName(spec.type)) + " | `" +
           DefaultText(spec) + "` | " + AllowedText(spec) + " | " + spec.doc + " |\n";
  }
  return out;
}

}  // namespace qlsweep::sweeps
