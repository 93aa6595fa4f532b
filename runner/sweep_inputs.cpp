// Sweep file plus command-line overrides -> the expanded sweep `run` and `plan` work on.
#include "runner/sweep_inputs.h"

#include <cstdio>
#include <filesystem>

namespace qlsweep::runner {

SweepInputs SplitSweepInputs(const std::string& first, const std::vector<std::string>& rest,
                             bool multirun) {
  SweepInputs inputs;
  inputs.overrides.multirun = multirun;
  if (!first.empty() && sweeps::IsOverrideArg(first) && !std::filesystem::exists(first)) {
    inputs.overrides.args.push_back(first);
  } else {
    inputs.file = first;
  }
  inputs.overrides.args.insert(inputs.overrides.args.end(), rest.begin(), rest.end());
  return inputs;
}

sweeps::ExpandedSweep LoadSweepInputs(const SweepInputs& inputs) {
  return inputs.file.empty() ? sweeps::DefaultSweep(inputs.overrides)
                             : sweeps::LoadSweepFile(inputs.file, inputs.overrides);
}

void PrintSweepNotes(const sweeps::ExpandedSweep& sweep) {
  for (const auto& note : sweep.notes) std::fprintf(stderr, "qlsweep: note: %s\n", note.c_str());
}

}  // namespace qlsweep::runner
