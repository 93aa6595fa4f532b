// The command that runs one trial: `qlsweep train ...`, or that under `mpirun -np k` for a trial
// sharded over k ranks (hardware.gpus: k).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace qlsweep::runner {

struct TrialCommandInputs {
  std::string self_exe;     // the qlsweep binary
  std::string config_path;  // the trial file
  std::string h5_path;
  std::string adapter_dir;           // empty: no adapter saved
  int ranks = 1;                     // hardware.gpus
  std::string cuda_visible_devices;  // the trial's GPUs, comma-separated; empty = inherited
};

struct TrialCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the coordinator's environment
};

// One rank: {self_exe, "train", config, "--h5", h5[, "--save-adapter", dir]}. Several ranks: the
// same behind `mpirun -np <ranks> --oversubscribe --bind-to none` (plus --allow-run-as-root when
// running as root); the launcher is $QLSWEEP_MPIRUN, else `mpirun` found on PATH. Throws
// std::runtime_error when no launcher is found. CPU ranks share the cores: OMP_NUM_THREADS is
// set to cores / ranks (at least 1) unless the environment sets it.
TrialCommand BuildTrialCommand(const TrialCommandInputs& in);

// What the MPI launcher said about a rank that ended the job, from the trial's log (Open MPI:
// "mpirun noticed that process rank 1 with PID ... exited on signal 9 (Killed)."), without the
// PID; empty when the log holds no such line.
std::string LauncherFailure(const std::string& log_path);

// The mpirun to use ($QLSWEEP_MPIRUN, else the first `mpirun` on PATH); empty when none.
std::string FindMpirun();

}  // namespace qlsweep::runner
