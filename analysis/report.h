// `qlsweep report`: a sweep's tables and plots written into one folder with an index.html.
#pragma once

#include <string>
#include <vector>

#include "analysis/sweep_analysis.h"

namespace qlsweep::analysis {

struct ReportOptions {
  std::string out_dir;              // created if missing; files in it are replaced
  std::string gnuplot = "gnuplot";  // program name (looked up in PATH) or path
  std::string series_dir;           // where series files are looked for when h5_path is gone
};

struct ReportOutcome {
  std::vector<std::string> files;     // written, relative to out_dir, in writing order
  std::string plot_error;             // "" when every plot was drawn; else why not
  std::vector<std::string> warnings;  // e.g. series files that could not be read
};

// Writes (docs/analysis.md, "Report"):
//   index.html, report.md            the summary, the plots and every table
//   tables/<name>.md, .csv           the trial table, the trade-off tables, the Pareto fronts
//   plots/<name>.gp, .dat            gnuplot scripts and their data
//   plots/<name>.svg (.png)          drawn by gnuplot (PNG when it has the pngcairo terminal)
// Tables are written even when gnuplot is missing or fails (see `plot_error`). Throws
// std::runtime_error when a file cannot be written.
ReportOutcome WriteReport(const SweepAnalysis& a, const ReportOptions& options);

}  // namespace qlsweep::analysis
