// Command-line overrides (`lora.r=8`) and multirun axes (`-m lora.r=4,8,16`), as in Hydra.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/assignments.h"
#include "sweeps/config_error.h"
#include "sweeps/sweep_spec.h"

namespace qlsweep::sweeps {

// What problems of the command line are labelled with, in place of a file name.
inline constexpr const char* kCommandLine = "command line";

// The KEY=VALUE arguments of one command and whether -m (multirun) was given.
struct CommandLineOverrides {
  std::vector<std::string> args;  // as typed: "lora.r=8", "train.steps=20", "lora.r=4,8,16"
  bool multirun = false;          // -m: a value with top-level commas is a grid axis
  bool empty() const { return args.empty(); }
};

// One parsed override: a trial key (or a sweep key: name, description, gpu_profile, reference,
// repeat) and its value(s), checked against the schema. Several values: a multirun axis.
struct Override {
  std::string text;                    // the argument as typed
  std::string key;                     // dotted trial key or sweep key
  std::vector<nlohmann::json> values;  // canonical values; more than one only with -m
};

// True for an argument that reads as KEY=VALUE (a key of [A-Za-z0-9_.-] before the first '='),
// so that a command can tell overrides from file names.
bool IsOverrideArg(const std::string& arg);

// Parses and checks the overrides. VALUE is a YAML scalar or flow list (`8`, `nf4`, `[q, v]`,
// `'8'` a string; an empty VALUE is the empty string). With multirun, top-level commas separate
// values (`4,8,16`, `[q,v],[q,k,v,o]`); without it they are an error that says to pass -m. An
// unknown key (with a did-you-mean hint), a bad value and a key given twice become issues
// labelled kCommandLine. `sweep_keys`: whether the sweep keys are accepted (trial files take only
// trial keys and `name`).
std::vector<Override> ParseOverrides(const CommandLineOverrides& overrides, bool sweep_keys,
                                     std::vector<ConfigIssue>& issues);

// Sets the sweep keys among the overrides (name, description, gpu_profile, reference, repeat) in
// the parsed sweep file, before it is read (so `name=x` also stands in for a missing `name:`).
void ApplySweepKeyOverrides(const std::vector<Override>& overrides, ParsedDoc& doc);

// Applies the trial-key overrides to a sweep, as the last layer, and lists every override under
// `overrides` in spec.spec (the record). A single value is set in `base` and wins everywhere: the
// key leaves grid axes, zip groups, points and include entries, and exclude entries are adjusted
// (one that can no longer match is dropped). Several values make the key a grid axis: an axis of
// that key gets the new values in place, else a new axis is appended (the key leaves zip groups,
// points and `base`). Sets `spec.lenient` when there is any override.
void ApplyOverrides(const std::vector<Override>& overrides, SweepSpec& spec);

// Applies single-value overrides to a trial file's assignments (later assignments win); `name`
// goes to `*name`. A multirun value is an issue: a trial file is one trial.
void ApplyOverrides(const std::vector<Override>& overrides, Assignments& assignments,
                    std::string* name, std::vector<ConfigIssue>& issues);

}  // namespace qlsweep::sweeps
