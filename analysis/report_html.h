// index.html of `qlsweep report`: the sweep's summary, its plots (embedded SVG) and its tables.
#pragma once

#include <string>
#include <vector>

#include "analysis/sweep_analysis.h"
#include "analysis/text_table.h"

namespace qlsweep::analysis {

// A table of the report and the files it was also written to.
struct ReportTable {
  std::string title;
  std::string note;       // one paragraph under the title (may be empty)
  std::string file_stem;  // tables/<file_stem>.md and .csv
  TextTable table;
};

// A drawn plot: plots/<stem>.svg (and .png when `png`).
struct ReportPlot {
  std::string stem;
  std::string title;
  bool png = false;
};

// The page: summary lines, the plots (or `plot_error` in their place), then each table.
std::string ReportHtml(const SweepAnalysis& a, const std::vector<std::string>& summary,
                       const std::vector<ReportPlot>& plots, const std::string& plot_error,
                       const std::vector<ReportTable>& tables);

// A <table> of the cells, escaped.
std::string HtmlTable(const TextTable& table);

// & < > " escaped.
std::string HtmlEscape(const std::string& text);

}  // namespace qlsweep::analysis
