// `qlsweep compare ID ID...`: the configs' differences and the results of recorded trials, side by
// side.
#pragma once

#include <string>
#include <vector>

#include "analysis/text_table.h"
#include "storage/run_index.h"

namespace qlsweep::runner {

struct CompareArgs {
  std::vector<std::string> trials;  // ids, unique id prefixes or trial names
  bool all = false;                 // every parameter and result, not only differences / main ones
};

// The trial `wanted` names in `all`: its id, a unique prefix of ids (4+ characters), or its name.
// Nothing or several: std::invalid_argument naming `db_path`, with a hint.
const storage::TrialRow& FindTrial(const std::vector<storage::TrialRow>& all,
                                   const std::string& wanted, const std::string& db_path);

// One column per trial (headed by its id): rows `name`, `sweep`, `status`, `tags` and `notes`
// (when any trial has one), then the parameters
// whose values differ (every parameter with `all`), then the results (the done event's; every
// result with `all`). Bytes read as GiB in markdown; CSV and JSON keep the numbers.
analysis::TextTable CompareTable(const std::vector<storage::TrialRow>& trials, bool all,
                                 analysis::TableFormat format);

// Finds each trial (throws std::invalid_argument, exit 2, for one that matches nothing or several)
// and prints CompareTable. At least two trials.
int CompareCommand(const CompareArgs& args, const std::string& db_path, const std::string& format);

}  // namespace qlsweep::runner
