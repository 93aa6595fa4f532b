// The per-trial trade-off table: the parameters that vary, memory, speed and quality.
#pragma once

#include <string>
#include <vector>

#include "analysis/text_table.h"
#include "storage/run_index.h"

namespace qlsweep::analysis {

// One row per trial, ordered by `by` (a dotted config key; empty = the run index's order).
// Columns: trial, name, status, each parameter whose value differs across `trials`, trainable
// parameters, tokens/s, peak reserved memory (GiB), device peak (GiB), base and final eval
// loss, perplexity. Missing results print as "-"; an oom row shows its phase.
TextTable TrialTable(const std::vector<storage::TrialRow>& trials, const std::string& by = "");

// Keys of `params` whose values are not all equal across the trials, in key order.
std::vector<std::string> VaryingParams(const std::vector<storage::TrialRow>& trials);

}  // namespace qlsweep::analysis
