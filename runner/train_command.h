// `qlsweep train TRIAL.yaml`: one trial in this process, events as JSON lines on stdout.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::runner {

// Loads and validates the trial file, runs it, writes every event as one JSON line on stdout and
// (when h5_path is not empty) the step and eval series into that HDF5 file. Returns the exit code
// of trainer/train/events.h (config errors print the file, line and key and return kExitConfig).
// `overrides` (KEY=VALUE) are applied to the trial file last.
int TrainCommand(const std::string& trial_path, const std::string& h5_path,
                 const std::string& adapter_dir = "",
                 const std::vector<std::string>& overrides = {});

}  // namespace qlsweep::runner
