// A sweep file's structure, read and checked key by key, before any trial is expanded.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/assignments.h"
#include "sweeps/config_error.h"
#include "sweeps/search_spec.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {

// One factor of the product: a grid key, or a zip group whose keys vary together.
struct Axis {
  std::vector<std::string> keys;       // dotted trial keys, in file order
  int line = 0;                        // where the axis is declared
  std::vector<Assignments> positions;  // positions[i]: each key's i-th value
};

// A named set of assignments: a point (crossed with the axes) or an include entry (added alone).
struct NamedSet {
  std::string name;  // empty for an include entry without `name:`
  int line = 0;
  Assignments set;
};

// One `exclude:` entry: a trial matching every key (its value is one of the alternatives) is
// dropped.
struct ExcludeRule {
  int line = 0;
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> keys;  // canonical values
};

// Most seeds `repeat:` may ask for.
inline constexpr int kMaxRepeat = 1000;

// Everything a sweep file says, in file order.
struct SweepSpec {
  std::string name;
  std::string description;
  std::string gpu_profile;
  int gpu_profile_line = 0;
  std::string reference;
  int reference_line = 0;
  Assignments base;
  std::vector<Axis> axes;  // grid keys in file order, then zip groups in file order
  std::vector<NamedSet> points;
  std::vector<NamedSet> includes;
  std::vector<ExcludeRule> excludes;
  int repeat = 1;  // `repeat: K`: every trial K times with train.seed, seed + 1, ... seed + K - 1
  int repeat_line = 0;
  // `search:` (sweeps/search_spec.h). A random search's draws and a fit search's candidate
  // values become the last axis (`axes.back()`): the trials of a fit search are its candidates,
  // in ascending order.
  SearchSpec search;
  std::vector<std::string> notes;  // for the user (e.g. a random space smaller than asked)
  // Set by command-line overrides (sweeps/overrides.h): an exclude entry that matches nothing is
  // dropped and a reference that names no trial is cleared (with a note), instead of an error.
  bool lenient = false;
  nlohmann::json spec;  // the whole file as JSON
};

// Reads the sweep keys of `doc`. Every problem becomes an issue; the parts that are valid are
// kept so that expansion can still find the problems of the trials themselves.
SweepSpec ParseSweepSpec(const ParsedDoc& doc, const std::string& file,
                         std::vector<ConfigIssue>& issues);

// True for names of sweeps, points and named includes: [A-Za-z0-9_.-]+.
bool IsValidName(const std::string& name);

}  // namespace qlsweep::sweeps
