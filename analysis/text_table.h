// Rendering of a table of strings as aligned markdown, CSV or JSON.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::analysis {

enum class TableFormat { kMarkdown, kCsv, kJson };

// Parses "markdown" | "md" | "csv" | "json"; throws std::invalid_argument otherwise.
TableFormat ParseTableFormat(const std::string& name);

struct TextTable {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // each row has headers.size() cells
};

// Markdown pads columns to equal width (pipes in cells escaped as \|, newlines as spaces); CSV
// quotes cells with commas, quotes or newlines (RFC 4180); JSON is an array of objects keyed by
// header in column order, values as strings.
std::string Render(const TextTable& table, TableFormat format);

}  // namespace qlsweep::analysis
