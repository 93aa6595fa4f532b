// Writes the seed report: report.md and index.html with every section, beside the per-sweep
// reports (tables and plots) in sweeps/<sweep>/.
#pragma once

#include <string>
#include <vector>

#include "analysis/seed_report.h"

namespace qlsweep::analysis {

// Writes out_dir/report.md and out_dir/index.html; a section's plots are embedded when
// out_dir/sweeps/<stem>.svg (or .png) exists. Returns the files written (relative to out_dir).
// Throws std::runtime_error when a file cannot be written.
std::vector<std::string> WriteSeedReport(const SeedReport& report, const std::string& out_dir);

// The page texts, as WriteSeedReport writes them.
std::string SeedReportMarkdown(const SeedReport& report, const std::string& out_dir);
std::string SeedReportHtml(const SeedReport& report, const std::string& out_dir);

}  // namespace qlsweep::analysis
