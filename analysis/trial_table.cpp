// Builds the trial table from run-index rows; numbers formatted for people, not for parsing.
#include "analysis/trial_table.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

std::string Number(const storage::TrialRow& t, std::string_view key, const char* fmt,
                   double scale = 1.0) {
  const auto value = Result(t, key);
  if (!value) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, *value * scale);
  return buf;
}

double SortValue(const storage::TrialRow& t, const std::string& key) {
  const auto it = t.params.find(key);
  if (it == t.params.end()) return 0;
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    return 0;
  }
}

constexpr double kGiB = 1.0 / (1024.0 * 1024.0 * 1024.0);

}  // namespace

std::vector<std::string> VaryingParams(const std::vector<storage::TrialRow>& trials) {
  std::set<std::string> keys;
  for (const auto& t : trials) {
    for (const auto& [k, v] : t.params) keys.insert(k);
  }
  std::vector<std::string> varying;
  for (const auto& key : keys) {
    std::set<std::string> values;
    for (const auto& t : trials) {
      const auto it = t.params.find(key);
      values.insert(it == t.params.end() ? "" : it->second);
    }
    if (values.size() > 1) varying.push_back(key);
  }
  return varying;
}

TextTable TrialTable(const std::vector<storage::TrialRow>& trials_in, const std::string& by) {
  auto trials = trials_in;
  if (!by.empty()) {
    std::stable_sort(trials.begin(), trials.end(), [&](const auto& a, const auto& b) {
      return SortValue(a, by) < SortValue(b, by);
    });
  }
  auto varying = VaryingParams(trials);
  if (!by.empty() && std::find(varying.begin(), varying.end(), by) == varying.end()) {
    varying.insert(varying.begin(), by);
  }
  TextTable table;
  table.headers = {"trial", "name", "status"};
  for (const auto& key : varying) table.headers.push_back(key);
  for (const char* h : {"trainable", "tokens/s", "peak reserved GiB", "device peak GiB",
                        "base eval loss", "eval loss", "ppl"}) {
    table.headers.push_back(h);
  }
  for (const auto& t : trials) {
    std::vector<std::string> row = {t.id, t.name, StatusLabel(t)};
    for (const auto& key : varying) {
      const auto it = t.params.find(key);
      row.push_back(it == t.params.end() ? "-" : it->second);
    }
    namespace result = protocol::result;
    row.push_back(Number(t, result::kTrainableParams, "%.0f"));
    row.push_back(Number(t, result::kTokensPerS, "%.1f"));
    row.push_back(Number(t, result::kPeakReservedBytes, "%.3f", kGiB));
    row.push_back(Number(t, result::kDevicePeakBytes, "%.3f", kGiB));
    row.push_back(Number(t, result::kBaseEvalLoss, "%.4f"));
    row.push_back(Number(t, result::kFinalEvalLoss, "%.4f"));
    row.push_back(Number(t, result::kPerplexity, "%.2f"));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace qlsweep::analysis
