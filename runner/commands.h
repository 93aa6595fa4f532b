// The subcommands behind the CLI; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "runner/train_command.h"

namespace qlsweep::runner {

struct CommonOptions {
  std::string db_path = "runs/runs.db";
  std::string format = "markdown";
};

// Exit codes of the commands (docs/runner.md): 0 success, 1 failure, 2 invalid input (bad
// options, config errors, an unknown sweep, a refused or stopped query), 75 another `run` holds
// the database (EX_TEMPFAIL: try again later), 130 interrupted.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 2;
inline constexpr int kExitBusy = 75;
inline constexpr int kExitInterrupted = 130;

struct QueryArgs {
  std::string sql;
  double timeout_s = 10;  // stop the query after this long
};

// The most rows `query` returns (more is an error asking for a LIMIT).
inline constexpr size_t kQueryMaxRows = 1000000;

struct RunArgs {
  std::string sweep_file;              // empty = built-in default sweep
  std::vector<std::string> overrides;  // KEY=VALUE, applied last (sweeps/overrides.h)
  bool multirun = false;               // -m: KEY=A,B,C varies KEY
  bool retry_failed = false;
  double timeout_s = 0;  // 0 = none (the option's values are checked to be finite and > 0)
  bool quiet = false;
  bool save_adapters = false;  // keep each trial's PEFT adapter under <db dir>/adapters/<id>/
  std::string
      gpus;  // --gpus "0,1": one trial per entry at once; empty = CUDA_VISIBLE_DEVICES or one
};

struct TableArgs {
  std::string sweep, by, status;
  std::vector<std::string> where;  // "lora.r>=16": every condition must hold
  std::vector<std::string> tags;   // runs --tag: only trials with every one of these tags
  bool calibration = false;        // table: predicted vs measured memory
};

struct ReportArgs {
  std::string sweep;    // empty = the latest sweep
  std::string out_dir;  // empty = report-<sweep>/ beside the run index
  std::string gnuplot = "gnuplot";
};

struct PlanArgs {
  std::string sweep_file;  // empty = built-in default sweep
  std::vector<std::string> overrides;
  bool multirun = false;
};
struct EstimateArgs {
  std::string config_file;  // trial file (YAML or JSON)
  std::string gpu;          // profile to judge against; empty = the config's hardware.gpu_profile
  std::vector<std::string> overrides;  // KEY=VALUE, applied to the trial file last
  int64_t samples = 10000;             // sequences per epoch, for the speed projection
  int epochs = 3;                      // epochs of the speed projection's total
  bool speed = false;                  // csv/json: the speed table instead of the memory table
};

int RunCommand(const RunArgs& args, const CommonOptions& common);
int EstimateCommand(const EstimateArgs& args, const CommonOptions& common);
int GpusCommand(const CommonOptions& common);
int PlanCommand(const PlanArgs& args, const CommonOptions& common);
int TableCommand(const TableArgs& args, const CommonOptions& common);
// Exit 0 when everything was written, 1 when the plots could not be drawn (the tables were).
int ReportCommand(const ReportArgs& args, const CommonOptions& common);
int RunsCommand(const TableArgs& args, const CommonOptions& common);
int QueryCommand(const QueryArgs& args, const CommonOptions& common);

}  // namespace qlsweep::runner
