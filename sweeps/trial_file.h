// Writing a trial as a document that LoadTrialFile / ResolveTrial read back to the same trial.
#pragma once

#include <nlohmann/json.hpp>

#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// {"id": ..., "name": ..., "data": {...}, "lora": {...}, ...}: every resolved key plus the
// trial's name and id. Dump it to a .json (or .yaml) file for `qlsweep train`.
nlohmann::json TrialDocument(const TrialConfig& trial);

}  // namespace qlsweep::sweeps
