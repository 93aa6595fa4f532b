// The command that runs one trial: `qlsweep train ...`, or that under `mpirun -np k` for a trial
// sharded over k ranks (hardware.gpus: k).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace qlsweep::runner {

// The exit code recorded for a trial whose process could not be started.
inline constexpr int kLaunchFailedExit = 127;
// How long a trial may take to end after SIGTERM before it gets SIGKILL.
inline constexpr std::chrono::seconds kKillGrace{5};

struct TrialCommandInputs {
  std::string self_exe;     // the qlsweep binary
  std::string config_path;  // the trial file
  std::string h5_path;      // empty: no series file (the farm's coordinator writes it instead)
  std::string adapter_dir;  // empty: no adapter saved
  int ranks = 1;            // hardware.gpus
  int host_trials = 1;  // trial processes that may run at once on this host (they share its cores)
  std::string cuda_visible_devices;  // the trial's GPUs, comma-separated; empty = inherited
};

struct TrialCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the coordinator's environment
  std::vector<std::string> unset;          // removed from it (runner/launcher_env.h)
};

// One rank: {self_exe, "train", config[, "--h5", h5][, "--save-adapter", dir]}. Several ranks: the
// same behind `mpirun -np <ranks> --oversubscribe --bind-to none` (plus --allow-run-as-root when
// running as root); the launcher is $QLSWEEP_MPIRUN, else `mpirun` found on PATH. Throws
// std::runtime_error when no launcher is found. CPU ranks share the cores: OMP_NUM_THREADS is
// set to cores / ranks (at least 1) unless the environment sets it. The same holds for trials
// that run side by side on one host (host_trials > 1: --gpus slots, farm workers of a node):
// OMP_NUM_THREADS = cores / (ranks * host_trials), so their OpenMP pools do not oversubscribe the
// cores (two 7B trials on two H200s each ran 7% slower with 32 threads apiece on 32 cores). When
// this process is itself a rank of an MPI job (`mpirun qlsweep run`), `unset` lists the launcher's
// variables.
TrialCommand BuildTrialCommand(const TrialCommandInputs& in);

// What the MPI launcher said about a rank that ended the job, from the trial's log (Open MPI:
// "mpirun noticed that process rank 1 with PID ... exited on signal 9 (Killed)."), without the
// PID; empty when the log holds no such line.
std::string LauncherFailure(const std::string& log_path);

// The last non-empty line of a trial's log (its stderr) that is not a JSON event, at most 400
// characters; "" when there is none. What a trial that died without an event said last.
std::string LastLogLine(const std::string& log_path);

// The mpirun to use ($QLSWEEP_MPIRUN, else the first `mpirun` on PATH); empty when none.
std::string FindMpirun();

}  // namespace qlsweep::runner
