// A SQL result set as a typed table: numbers stay numbers and NULL is null in JSON.
#pragma once

#include "analysis/text_table.h"
#include "storage/run_index.h"

namespace qlsweep::runner {

// Columns whose non-NULL cells are all INTEGER or REAL are numbers, the others text. A NULL cell
// reads "NULL" in markdown, and is empty in CSV and null in JSON.
analysis::TextTable QueryTable(const storage::QueryResult& result, analysis::TableFormat format);

}  // namespace qlsweep::runner
