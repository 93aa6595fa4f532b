// Reading trial and sweep files: YAML in, validated TrialConfigs out, or a ConfigError naming all.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/config_error.h"
#include "sweeps/overrides.h"
#include "sweeps/search_spec.h"
#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// A sweep file expanded into its trials, in a deterministic order.
struct ExpandedSweep {
  std::string name;                 // the sweep's `name:` (required)
  std::string file;                 // path it was read from
  std::string gpu_profile;          // `gpu_profile:`; empty = none
  std::string reference;            // name of the reference trial for quality scores; empty = none
  nlohmann::json spec;              // the sweep file as JSON, for the record
  std::vector<TrialConfig> trials;  // unique by id; duplicates from overlapping axes are merged
  int repeat = 1;                   // `repeat:`: each configuration runs with this many seeds
  std::vector<std::string> notes;   // what command-line overrides dropped (for the user)
  // `search:`: with kind kFit, `trials` are the fit search's candidates in ascending order of
  // search.key, and the runner probes them by bisection (sweeps/fit_search.h) instead of running
  // them all.
  SearchSpec search;
};

// Reads and validates a single trial file (YAML or JSON). Throws ConfigError.
// A trial file holds trial keys (nested sections and/or dotted keys, see docs/trial-config.md)
// plus two optional top-level keys: `name:` (sets TrialConfig::name; default: the id) and `id:`
// (when present it must equal the id of the config, which catches hand edits of written trials).
// `overrides` (KEY=VALUE, checked like the file) are applied last.
TrialConfig LoadTrialFile(const std::string& path, const CommandLineOverrides& overrides = {});

// LoadTrialFile on text in memory; `file` labels errors.
TrialConfig LoadTrialText(const std::string& yaml_text, const std::string& file,
                          const CommandLineOverrides& overrides = {});

// Resolves a trial from an in-memory document (defaults applied, validated, id computed).
// `file` only labels errors. Throws ConfigError.
TrialConfig ResolveTrial(const nlohmann::json& doc, const std::string& file = "");

// Reads, expands and validates a whole sweep file. Throws ConfigError listing every invalid trial
// and key (file, line, key), so nothing runs while any trial is invalid. `overrides` (KEY=VALUE
// and -m axes, sweeps/overrides.h) are applied last; their problems are reported with the file's.
ExpandedSweep LoadSweepFile(const std::string& path, const CommandLineOverrides& overrides = {});

// LoadSweepFile on text in memory; `file` labels errors and fills ExpandedSweep::file.
ExpandedSweep LoadSweepText(const std::string& yaml_text, const std::string& file,
                            const CommandLineOverrides& overrides = {});

// The built-in default sweep (a small sweep over lora.r on the tiny preset, CPU-friendly).
ExpandedSweep DefaultSweep(const CommandLineOverrides& overrides = {});

// The YAML text DefaultSweep() is read from, to write out as a starting point for users.
const std::string& DefaultSweepYaml();

}  // namespace qlsweep::sweeps
