// Reading trial and sweep files: YAML in, validated TrialConfigs out (or a ConfigError naming every problem).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// A sweep file expanded into its trials, in a deterministic order.
struct ExpandedSweep {
  std::string name;             // the sweep's `name:` (required)
  std::string file;             // path it was read from
  std::string gpu_profile;      // `gpu_profile:`; empty = none
  std::string reference;        // name of the reference trial for quality scores; empty = none
  nlohmann::json spec;          // the sweep file as JSON, for the record
  std::vector<TrialConfig> trials;  // unique by id; duplicates from overlapping axes are merged
};

// Reads and validates a single trial file (YAML or JSON). Throws ConfigError.
TrialConfig LoadTrialFile(const std::string& path);

// Resolves a trial from an in-memory document (defaults applied, validated, id computed).
// `file` only labels errors. Throws ConfigError.
TrialConfig ResolveTrial(const nlohmann::json& doc, const std::string& file = "");

// Reads, expands and validates a whole sweep file. Throws ConfigError listing every invalid trial
// and key (file, line, key), so nothing runs while any trial is invalid.
ExpandedSweep LoadSweepFile(const std::string& path);

// The built-in default sweep (a small sweep over lora.r on the tiny preset, CPU-friendly).
ExpandedSweep DefaultSweep();

}  // namespace qlsweep::sweeps
