// qlsweep: one binary, git-style subcommands (run, plan, train, table, runs, query).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "runner/commands.h"
#include "runner/version.h"
#include "sweeps/schema_doc.h"

int main(int argc, char** argv) {
  using namespace qlsweep::runner;
  CLI::App app{
      "qlsweep: measure which QLoRA configurations fit a GPU, how fast they train and what "
      "quality\n"
      "they reach. A sweep file expands into trials; each trial is a real training run whose\n"
      "memory, speed and quality land in SQLite (runs.db) and HDF5 (one file per trial)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("qlsweep ") + kVersion);

  CommonOptions common;
  auto add_db = [&](CLI::App* cmd) {
    cmd->add_option("--db", common.db_path,
                    "SQLite run index (series, trial files and logs go beside it)")
        ->capture_default_str();
  };
  auto add_format = [&](CLI::App* cmd) {
    cmd->add_option("--format", common.format, "markdown | csv | json")->capture_default_str();
  };

  RunArgs run;
  auto* run_cmd = app.add_subcommand(
      "run", "Run every trial of a sweep not yet recorded (resumes), then print its table");
  run_cmd->add_option(
      "sweep", run.sweep_file,
      "Sweep file (YAML); without one, the built-in default sweep (tiny model, CPU)");
  add_db(run_cmd);
  run_cmd->add_flag("--retry-failed", run.retry_failed,
                    "Also re-run trials recorded as failed, oom or timeout");
  run_cmd->add_option("--timeout", run.timeout_s, "Per-trial time limit in seconds (0 = none)")
      ->capture_default_str();
  run_cmd->add_flag("--quiet", run.quiet, "No progress lines");
  run_cmd->add_option(
      "--gpus", run.gpus,
      "Comma-separated GPUs (CUDA_VISIBLE_DEVICES entries), one trial on each at once "
      "(default: the entries of CUDA_VISIBLE_DEVICES, else one trial at a time)");

  std::string plan_file;
  auto* plan_cmd =
      app.add_subcommand("plan", "Print the trials a sweep expands into (nothing runs)");
  plan_cmd->add_option("sweep", plan_file, "Sweep file (YAML); without one, the built-in default");

  std::string trial_file, h5_path;
  auto* train_cmd = app.add_subcommand(
      "train", "Run one trial in this process; events as JSON lines on stdout (what `run` spawns)");
  train_cmd->add_option("trial", trial_file, "Trial file (YAML or JSON; keys below)")->required();
  train_cmd->add_option("--h5", h5_path, "Write the step and eval series to this HDF5 file");
  train_cmd->footer("Trial keys (dotted paths; every key is optional):\n" +
                    qlsweep::sweeps::SchemaHelpText());

  TableArgs table;
  auto* table_cmd = app.add_subcommand("table", "Print the trade-off table of a sweep's trials");
  add_db(table_cmd);
  add_format(table_cmd);
  table_cmd->add_option("--sweep", table.sweep, "Sweep name (default: the only or latest sweep)");
  table_cmd->add_flag("--calibration", table.calibration,
                      "Predicted (memory estimator) vs measured memory, with the error");
  table_cmd->add_option("--by", table.by, "Order rows by this config key, e.g. data.seq_len");

  TableArgs runs;
  auto* runs_cmd = app.add_subcommand("runs", "List recorded trials");
  add_db(runs_cmd);
  add_format(runs_cmd);
  runs_cmd->add_option("--sweep", runs.sweep, "Only trials of this sweep");
  runs_cmd->add_option("--where", runs.where,
                       "Only trials whose parameter satisfies KEY OP VALUE, e.g. 'lora.r>=16' "
                       "(repeatable; OP: = != < <= > >=)");
  runs_cmd->add_option("--status", runs.status,
                       "Only trials with this status (done, oom, failed, ...)");

  std::string sql;
  auto* query_cmd = app.add_subcommand("query", "Run a read-only SQL query on the run index");
  query_cmd->add_option("sql", sql, "SQL text (writes are refused)")->required();
  add_db(query_cmd);
  add_format(query_cmd);

  EstimateArgs estimate;
  auto* estimate_cmd = app.add_subcommand(
      "estimate",
      "Print a trial config's analytic memory budget and whether it fits a GPU profile");
  estimate_cmd->add_option("config", estimate.config_file, "Trial file (YAML or JSON)")->required();
  estimate_cmd->add_option("--gpu", estimate.gpu,
                           "GPU profile to judge against (default: the config's "
                           "hardware.gpu_profile); see `qlsweep gpus`");
  add_format(estimate_cmd);
  auto* gpus_cmd = app.add_subcommand("gpus", "List the built-in GPU profiles");
  add_format(gpus_cmd);

  CLI11_PARSE(app, argc, argv);
  try {
    if (*run_cmd) return RunCommand(run, common);
    if (*plan_cmd) return PlanCommand(plan_file);
    if (*train_cmd) return TrainCommand(trial_file, h5_path);
    if (*table_cmd) return TableCommand(table, common);
    if (*runs_cmd) return RunsCommand(runs, common);
    if (*query_cmd) return QueryCommand(sql, common);
    if (*estimate_cmd) return EstimateCommand(estimate, common);
    if (*gpus_cmd) return GpusCommand(common);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return 1;
  }
  return 0;
}
