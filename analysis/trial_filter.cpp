// Parameter conditions over run-index rows.
#include "analysis/trial_filter.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>

#include "protocol/result_keys.h"
#include "sweeps/schema.h"
#include "sweeps/suggest.h"

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

bool Compare(double have, const std::string& op, double want) {
  if (op == "=") return have == want;
  if (op == "!=") return have != want;
  if (op == "<") return have < want;
  if (op == "<=") return have <= want;
  if (op == ">") return have > want;
  return have >= want;
}

// The done event's result keys: valid in a condition before any trial has recorded them.
const std::vector<std::string_view>& DoneResultKeys() {
  namespace r = protocol::result;
  static const std::vector<std::string_view> keys = {
      r::kSteps,          r::kFinalLoss,         r::kBaseEvalLoss,        r::kFinalEvalLoss,
      r::kFinalEvalStep,  r::kPerplexity,        r::kTokenAccuracy,       r::kEvalSequences,
      r::kEvalTokens,     r::kTokensPerS,        r::kTokensPerSInclFirst, r::kStepTimeS,
      r::kBudgetBytes,    r::kContextBytes,      r::kAllocatorCapBytes,   r::kTrainableParams,
      r::kPeakAllocBytes, r::kPeakReservedBytes, r::kDevicePeakBytes,     r::kWallS,
      r::kSkippedSteps,   r::kFinalLossScale};  // the last two: fp16 trials only
  return keys;
}

}  // namespace

void CheckConditionKeys(const std::vector<storage::TrialRow>& trials,
                        const std::vector<ParamCondition>& conditions) {
  std::set<std::string> known;
  for (const auto key : DoneResultKeys()) known.emplace(key);
  for (const auto& spec : sweeps::Schema()) known.insert(spec.key);
  for (const auto& t : trials) {
    for (const auto& [key, value] : t.params) known.insert(key);
    for (const auto& [key, value] : t.results) known.insert(key);
  }
  for (const auto& c : conditions) {
    if (known.count(c.key) > 0) continue;
    throw std::invalid_argument(
        "--where '" + c.key + c.op + c.value + "': unknown key '" + c.key + "'" +
        sweeps::DidYouMean(c.key, std::vector<std::string>(known.begin(), known.end())) +
        " (a trial key such as lora.r, or a result such as final_eval_loss: docs/records.md)");
  }
}

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
  if (it == trial.params.end()) {
    const auto result = trial.results.find(c.key);
    const auto want = AsNumber(c.value);
    if (result == trial.results.end() || std::isnan(result->second) || !want) return false;
    return Compare(result->second, c.op, *want);
  }
  const auto have = AsNumber(it->second), want = AsNumber(c.value);
  if (have && want) return Compare(*have, c.op, *want);
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
