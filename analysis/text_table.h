// Rendering of a table of strings as aligned markdown, CSV or JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace qlsweep::analysis {

enum class TableFormat { kMarkdown, kCsv, kJson };

// Parses "markdown" | "md" | "csv" | "json"; throws std::invalid_argument otherwise.
TableFormat ParseTableFormat(const std::string& name);

// How a column's cells are typed in JSON.
enum class CellKind {
  kAuto,    // numbers when every present cell of the column is one, else strings
  kText,    // always strings
  kNumber,  // numbers (a cell that is not one stays a string)
  kEach,    // each cell on its own: a number when it reads as one (tables with a row per key)
};

// The cell that stands for "no value" in tables: JSON writes it (and an empty cell) as null.
inline constexpr const char* kMissingCell = "-";

struct TextTable {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // each row has headers.size() cells
  // Per column; missing entries are kAuto, except that columns headed trial, id, trial_id, name
  // and sweep are kText unless set (ids such as 123456789012 are names, not numbers).
  std::vector<CellKind> kinds = {};
};

// Markdown pads columns to equal width (pipes in cells escaped as \|, newlines as spaces); CSV
// quotes cells with commas, quotes or newlines (RFC 4180); JSON is an array of objects keyed by
// header in column order, typed: numbers as numbers ("1,024" and "5.24" too), "-" and empty cells
// as null, the rest as strings (see CellKind).
std::string Render(const TextTable& table, TableFormat format);

// The number a cell shows ("16", "-0.5", "1e-08", "9,994,240"), or nullopt ("5.24 GiB", "1.00x").
std::optional<double> CellNumber(const std::string& cell);

}  // namespace qlsweep::analysis
