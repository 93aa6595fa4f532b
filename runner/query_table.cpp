// SQL result -> TextTable with column kinds from SQLite's storage classes.
#include "runner/query_table.h"

namespace qlsweep::runner {

analysis::TextTable QueryTable(const storage::QueryResult& result, analysis::TableFormat format) {
  analysis::TextTable table;
  table.headers = result.columns;
  table.kinds.assign(result.columns.size(), analysis::CellKind::kNumber);
  for (size_t r = 0; r < result.rows.size(); ++r) {
    std::vector<std::string> cells;
    for (size_t c = 0; c < result.rows[r].size(); ++c) {
      const auto& cell = result.rows[r][c];
      const bool numeric =
          r < result.numeric.size() && c < result.numeric[r].size() && result.numeric[r][c];
      if (cell && !numeric) table.kinds[c] = analysis::CellKind::kText;
      cells.push_back(cell.value_or(format == analysis::TableFormat::kMarkdown ? "NULL" : ""));
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace qlsweep::runner
