// What `run` and `plan` read: a sweep file (or the built-in default) and KEY=VALUE overrides.
#pragma once

#include <string>
#include <vector>

#include "sweeps/load.h"
#include "sweeps/overrides.h"

namespace qlsweep::runner {

// The positional arguments of `run` / `plan` and their -m flag.
struct SweepInputs {
  std::string file;  // empty = the built-in default sweep
  sweeps::CommandLineOverrides overrides;
};

// `first` is the first positional argument (the sweep file), `rest` the others (overrides). A
// first argument that reads as KEY=VALUE and is not a file is an override, so
// `qlsweep run train.steps=4` overrides the built-in default sweep.
SweepInputs SplitSweepInputs(const std::string& first, const std::vector<std::string>& rest,
                             bool multirun);

// The expanded sweep; throws sweeps::ConfigError listing every problem of file and overrides.
sweeps::ExpandedSweep LoadSweepInputs(const SweepInputs& inputs);

// Prints the sweep's notes (what the overrides dropped) on stderr.
void PrintSweepNotes(const sweeps::ExpandedSweep& sweep);

}  // namespace qlsweep::runner
