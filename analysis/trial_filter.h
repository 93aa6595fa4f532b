// Filters on recorded trials by config parameter: "lora.r>=16", "quantization.type=nf4".
#pragma once

#include <string>
#include <vector>

#include "storage/run_index.h"

namespace qlsweep::analysis {

struct ParamCondition {
  std::string key;  // dotted config key
  std::string op;   // = != < <= > >=
  std::string value;
};

// Parses "KEY OP VALUE" (spaces optional). Throws std::invalid_argument naming the text when it
// has no operator or no key.
ParamCondition ParseParamCondition(const std::string& text);

// True when the trial's parameter satisfies the condition: numbers compare as numbers, anything
// else as text (= and != only). A trial without the key never matches.
bool Matches(const storage::TrialRow& trial, const ParamCondition& condition);

// The trials that satisfy every condition, in their order.
std::vector<storage::TrialRow> FilterTrials(const std::vector<storage::TrialRow>& trials,
                                            const std::vector<ParamCondition>& conditions);

}  // namespace qlsweep::analysis
