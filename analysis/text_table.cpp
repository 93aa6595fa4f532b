// Table rendering without third-party formatting code: widths, escaping, and JSON via nlohmann.
#include "analysis/text_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace qlsweep::analysis {
namespace {

std::string CsvCell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A pipe would end the cell early: markdown writes it as \|.
std::string MarkdownCell(const std::string& cell) {
  std::string out;
  for (char c : cell) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string Markdown(const TextTable& input) {
  TextTable t = input;
  for (auto& h : t.headers) h = MarkdownCell(h);
  for (auto& row : t.rows) {
    for (auto& cell : row) cell = MarkdownCell(cell);
  }
  std::vector<size_t> width(t.headers.size());
  for (size_t c = 0; c < t.headers.size(); ++c) width[c] = std::max<size_t>(3, t.headers[c].size());
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      out += " " + cell + std::string(width[c] - cell.size(), ' ') + " |";
    }
    return out + "\n";
  };
  std::string out = line(t.headers) + "|";
  for (size_t w : width) out += std::string(w + 2, '-') + "|";
  out += "\n";
  for (const auto& row : t.rows) out += line(row);
  return out;
}

bool IsMissing(const std::string& cell) { return cell.empty() || cell == kMissingCell; }

CellKind ColumnKind(const TextTable& table, size_t column) {
  CellKind kind = column < table.kinds.size() ? table.kinds[column] : CellKind::kAuto;
  static const std::set<std::string> kNameColumns = {"trial", "id", "trial_id", "name", "sweep"};
  if (column >= table.kinds.size() && kNameColumns.count(table.headers[column]) > 0) {
    return CellKind::kText;
  }
  if (kind != CellKind::kAuto) return kind;
  bool any = false;
  for (const auto& row : table.rows) {
    if (column >= row.size() || IsMissing(row[column])) continue;
    if (!CellNumber(row[column])) return CellKind::kText;
    any = true;
  }
  return any ? CellKind::kNumber : CellKind::kText;
}

std::string Json(const TextTable& table) {
  std::vector<CellKind> kinds;
  for (size_t c = 0; c < table.headers.size(); ++c) kinds.push_back(ColumnKind(table, c));
  auto rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (size_t c = 0; c < table.headers.size() && c < row.size(); ++c) {
      const double number = CellNumber(row[c]).value_or(NAN);
      if (IsMissing(row[c])) {
        obj[table.headers[c]] = nullptr;
      } else if ((kinds[c] == CellKind::kNumber || kinds[c] == CellKind::kEach) &&
                 std::isfinite(number)) {
        const bool integral = row[c].find_first_of(".eE") == std::string::npos &&
                              std::fabs(number) < 9.0e15;  // exact in a double
        if (integral) {
          obj[table.headers[c]] = static_cast<int64_t>(number);
        } else {
          obj[table.headers[c]] = number;
        }
      } else {
        obj[table.headers[c]] = row[c];
      }
    }
    rows.push_back(obj);
  }
  return rows.dump(2) + "\n";
}

}  // namespace

std::optional<double> CellNumber(const std::string& cell) {
  static const std::regex kPlain(R"(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)");
  static const std::regex kGrouped(R"(-?\d{1,3}(,\d{3})+(\.\d+)?)");
  if (std::regex_match(cell, kPlain)) return std::strtod(cell.c_str(), nullptr);
  if (!std::regex_match(cell, kGrouped)) return std::nullopt;
  std::string digits;
  for (char c : cell) {
    if (c != ',') digits += c;
  }
  return std::strtod(digits.c_str(), nullptr);
}

TableFormat ParseTableFormat(const std::string& name) {
  if (name == "markdown" || name == "md") return TableFormat::kMarkdown;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  throw std::invalid_argument("unknown table format '" + name + "' (markdown, csv, json)");
}

std::string Render(const TextTable& table, TableFormat format) {
  switch (format) {
    case TableFormat::kMarkdown:
      return Markdown(table);
    case TableFormat::kCsv: {
      std::string out;
      auto add_row = [&](const std::vector<std::string>& cells) {
        for (size_t c = 0; c < cells.size(); ++c) out += (c ? "," : "") + CsvCell(cells[c]);
        out += "\n";
      };
      add_row(table.headers);
      for (const auto& row : table.rows) add_row(row);
      return out;
    }
    case TableFormat::kJson:
      return Json(table);
  }
  return "";
}

}  // namespace qlsweep::analysis
