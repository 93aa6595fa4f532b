// Assignments -> TrialConfig: defaults applied, every key checked, cross-field rules, id computed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/assignments.h"
#include "sweeps/config_error.h"
#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// Resolves one trial from `assignments` (later ones override earlier ones; unset keys take the
// schema default). Problems are appended to `issues`, labelled with `file`; cross-field problems
// also name `trial_label` when it is not empty. Returns nothing when this trial has any problem.
// The returned trial's name is empty: callers name it.
std::optional<TrialConfig> ResolveAssignments(const Assignments& assignments,
                                              const std::string& file,
                                              const std::string& trial_label,
                                              std::vector<ConfigIssue>& issues);

// The typed TrialConfig of an already canonical resolved config (as made by the resolver; no
// checks), with its id and the given name.
TrialConfig TrialFromResolved(const nlohmann::json& resolved, std::string name);

// The value of dotted `key` in a resolved config, e.g. ResolvedValue(r, "lora.r") == 16.
const nlohmann::json& ResolvedValue(const nlohmann::json& resolved, const std::string& key);

}  // namespace qlsweep::sweeps
