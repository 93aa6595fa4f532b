// Parsing of stored parameter text and result lookups shared by the tables and the report.
#include "analysis/trial_values.h"
#include "protocol/trial_status.h"

#include <cmath>
#include <cstdlib>

namespace qlsweep::analysis {
namespace {

// Parses the whole text as a number (JSON numbers; true/false as 1/0).
std::optional<double> ParseNumber(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> Result(const storage::TrialRow& trial, std::string_view key) {
  const auto it = trial.results.find(std::string(key));
  if (it == trial.results.end() || std::isnan(it->second)) return std::nullopt;
  return it->second;
}

std::string StatusLabel(const storage::TrialRow& trial) {
  const std::string text(protocol::ToString(trial.status));
  if (trial.status != protocol::TrialStatus::kOom || trial.oom_phase.empty()) return text;
  return text + " (" + trial.oom_phase + ")";
}

std::string Param(const storage::TrialRow& trial, const std::string& key) {
  const auto it = trial.params.find(key);
  return it == trial.params.end() ? "" : it->second;
}

std::optional<double> NumericParam(const storage::TrialRow& trial, const std::string& key) {
  return ParseNumber(Param(trial, key));
}

int CompareParamValues(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a.empty() - b.empty();  // missing sorts last
  const auto x = ParseNumber(a), y = ParseNumber(b);
  if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
  if (x || y) return x ? -1 : 1;  // numbers before text
  return a.compare(b);
}

}  // namespace qlsweep::analysis
