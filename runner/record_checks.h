// Checks of names given on the command line against the run index, with hints.
#pragma once

#include <string>

#include "storage/run_index.h"

namespace qlsweep::runner {

// Throws std::invalid_argument (exit 2) when no sweep `name` is recorded: "runs.db: no sweep 'x'
// recorded; did you mean 'y'? (recorded: a, b)".
void CheckSweepRecorded(const storage::RunIndex& index, const std::string& name);

}  // namespace qlsweep::runner
