// Typed reads of a recorded trial: a result or a parameter as a number, and a parameter order.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/run_index.h"

namespace qlsweep::analysis {

// The result `key` of the trial; nullopt when it is missing or NaN (stored NULL).
// Keys: protocol/result_keys.h.
std::optional<double> Result(const storage::TrialRow& trial, std::string_view key);

// The parameter `key` as text ("16", "nf4"); "" when the trial has no such parameter.
std::string Param(const storage::TrialRow& trial, const std::string& key);

// The parameter `key` as a number; nullopt when it is missing or not a JSON number / boolean.
std::optional<double> NumericParam(const storage::TrialRow& trial, const std::string& key);

// The status as tables print it: its text, "oom (backward)" when an oom names its phase.
std::string StatusLabel(const storage::TrialRow& trial);

// Orders two parameter values: numbers numerically before text, text lexicographically; a
// missing value ("") last. Returns <0, 0 or >0.
int CompareParamValues(const std::string& a, const std::string& b);

}  // namespace qlsweep::analysis
