// Parameter conditions over run-index rows.
#include "analysis/trial_filter.h"

#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace qlsweep::analysis {
namespace {

std::string Trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

std::optional<double> AsNumber(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

ParamCondition ParseParamCondition(const std::string& text) {
  // Two-character operators first, so "<=" is not read as "<".
  for (const char* op : {">=", "<=", "!=", "=", "<", ">"}) {
    const auto at = text.find(op);
    if (at == std::string::npos) continue;
    ParamCondition c{Trim(text.substr(0, at)), op, Trim(text.substr(at + std::string(op).size()))};
    if (c.key.empty()) break;
    return c;
  }
  throw std::invalid_argument("--where '" + text +
                              "': expected KEY OP VALUE with OP one of = != < <= > >= "
                              "(e.g. lora.r>=16)");
}

bool Matches(const storage::TrialRow& trial, const ParamCondition& c) {
  const auto it = trial.params.find(c.key);
  if (it == trial.params.end()) return false;
  const auto have = AsNumber(it->second), want = AsNumber(c.value);
  if (have && want) {
    if (c.op == "=") return *have == *want;
    if (c.op == "!=") return *have != *want;
    if (c.op == "<") return *have < *want;
    if (c.op == "<=") return *have <= *want;
    if (c.op == ">") return *have > *want;
    return *have >= *want;
  }
  if (c.op == "=") return it->second == c.value;
  if (c.op == "!=") return it->second != c.value;
  return false;
}

std::vector<storage::TrialRow> FilterTrials(const std::vector<storage::TrialRow>& trials,
                                            const std::vector<ParamCondition>& conditions) {
  std::vector<storage::TrialRow> kept;
  for (const auto& t : trials) {
    bool all = true;
    for (const auto& c : conditions) all = all && Matches(t, c);
    if (all) kept.push_back(t);
  }
  return kept;
}

}  // namespace qlsweep::analysis
