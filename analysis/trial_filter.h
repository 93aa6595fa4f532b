// Filters on recorded trials by config parameter or result: "lora.r>=16", "quantization.type=nf4",
// "final_eval_loss<3.2".
#pragma once

#include <string>
#include <vector>

#include "storage/run_index.h"

namespace qlsweep::analysis {

struct ParamCondition {
  std::string key;  // dotted config key, or a result key (a parameter of that name wins)
  std::string op;   // = != < <= > >=
  std::string value;
};

// Parses "KEY OP VALUE" (spaces optional). Throws std::invalid_argument naming the text when it
// has no operator or no key.
ParamCondition ParseParamCondition(const std::string& text);

// True when the trial's parameter (else its result) satisfies the condition: numbers compare as
// numbers, anything else as text (= and != only). A trial without the key never matches (a result
// stored as NULL, NaN, is missing).
bool Matches(const storage::TrialRow& trial, const ParamCondition& condition);

// Throws std::invalid_argument for a condition whose key is neither a parameter nor a result of
// any of `trials` nor a result key of protocol/result_keys.h: "--where 'x<1': unknown key 'x';
// did you mean 'y'?".
void CheckConditionKeys(const std::vector<storage::TrialRow>& trials,
                        const std::vector<ParamCondition>& conditions);

// The trials that satisfy every condition, in their order.
std::vector<storage::TrialRow> FilterTrials(const std::vector<storage::TrialRow>& trials,
                                            const std::vector<ParamCondition>& conditions);

}  // namespace qlsweep::analysis
