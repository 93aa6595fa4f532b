// Collected config issues: put in reading order, drop repeats, throw them together.
#pragma once

#include <vector>

#include "sweeps/config_error.h"

namespace qlsweep::sweeps {

// Drops exact repeats (same file, line, key, message) and orders the rest by line; file-level
// issues (line 0) come first; issues on the same line keep their order.
void SortAndDedupe(std::vector<ConfigIssue>& issues);

// Throws ConfigError with every issue (sorted and deduplicated) if there is any.
void ThrowIfAny(std::vector<ConfigIssue> issues);

}  // namespace qlsweep::sweeps
