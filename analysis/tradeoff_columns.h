// Columns of the trade-off tables: a header and a cell per trial, shared by every layout.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sweep_analysis.h"
#include "analysis/text_table.h"

namespace qlsweep::analysis {

// A column over the trials of one SweepAnalysis: `cell(i)` is the text for trial i. Cells keep
// a reference to the analysis, which must outlive the column.
struct Column {
  std::string header;
  std::function<std::string(size_t)> cell;
};

// printf of one number; "-" for nullopt.
std::string FormatOptional(const char* fmt, const std::optional<double>& value);

// "trial" (the name in the sweep), "status" ("oom (backward)"), then the parameters of `keys`
// ("-" where a trial lacks one).
std::vector<Column> LeadingColumns(const SweepAnalysis& a, const std::vector<std::string>& keys);

// Bytes in MiB or GiB, whichever suits the column's largest value: "<label> GiB".
Column MemoryColumn(const SweepAnalysis& a, const std::string& label,
                    std::function<std::optional<double>(const TrialFigures&)> bytes);
Column TotalColumn(const SweepAnalysis& a);  // "total": device_peak_bytes
// "fits <profile>?" when the trials share one profile ("fits?" with the profile in each cell
// otherwise); no column when no trial has a profile.
std::vector<Column> FitsColumns(const SweepAnalysis& a);
Column TrainableColumn(const SweepAnalysis& a);  // "trainable params", digits grouped
Column SpeedColumn(const SweepAnalysis& a);      // "tokens/s"
Column EvalLossColumn(const SweepAnalysis& a);   // "eval loss"
Column PerplexityColumn(const SweepAnalysis& a);
Column QualityColumn(const SweepAnalysis& a);
Column ParetoColumn(const SweepAnalysis& a);  // "pareto": ParetoLabel

// For a sweep with repeats (a.spread not empty): `columns` with "seeds" ("3/3": finished of run)
// after "status" and a "<header> sd" column (the standard deviation over the seeds) after each of
// total, tokens/s, eval loss and quality. Without repeats, `columns` unchanged.
std::vector<Column> WithSpread(const SweepAnalysis& a, std::vector<Column> columns);

// The table of `columns` with one row per trial index of `order`.
TextTable BuildTable(const std::vector<Column>& columns, const std::vector<size_t>& order);

}  // namespace qlsweep::analysis
