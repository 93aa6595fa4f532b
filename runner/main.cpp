// qlsweep: one binary, git-style subcommands (run, plan, train, table, report, runs, query, ...).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "protocol/trial_status.h"
#include "runner/commands.h"
#include "runner/compare_command.h"
#include "runner/db_path.h"
#include "runner/examples_command.h"
#include "runner/reproduce_command.h"
#include "runner/tag_command.h"
#include "runner/version.h"
#include "sweeps/config_error.h"
#include "sweeps/schema_doc.h"

namespace {

// A number of seconds: finite and above 0 (no NaN, infinity, zero or negative values).
const CLI::Validator kPositiveSeconds(
    [](const std::string& text) -> std::string {
      double value = 0;
      size_t used = 0;
      try {
        value = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || text.empty()) return "'" + text + "' is not a number of seconds";
      if (!std::isfinite(value) || value <= 0) {
        return "must be a finite number of seconds above 0, got '" + text + "'";
      }
      return "";
    },
    "SECONDS > 0");

}  // namespace

int main(int argc, char** argv) {
  using namespace qlsweep::runner;
  CLI::App app{
      "qlsweep: measure which QLoRA configurations fit a GPU, how fast they train and what "
      "quality\n"
      "they reach. A sweep file expands into trials; each trial is a real training run whose\n"
      "memory, speed and quality land in SQLite (runs.db) and HDF5 (one file per trial)."};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 failure (e.g. a run index that cannot be written, plots that\n"
      "could not be drawn); 2 invalid input (arguments, sweep or trial files, an unknown sweep,\n"
      "key or trial); 75 the database is in use by another run; 130 interrupted. `train`: 0\n"
      "done, 1 failed, 2 invalid config, 3 out of memory. GPU profiles (gpu_profile,\n"
      "--gpu-profile) emulate a card's memory; CUDA devices (run --gpus) are where trials run.\n"
      "docs/runner.md");
  app.set_version_flag("--version", std::string("qlsweep ") + kVersion);

  CommonOptions common;
  auto add_db = [&](CLI::App* cmd) {
    cmd->add_option("--db", common.db_path,
                    "SQLite run index (series, trial files and logs go beside it)")
        ->capture_default_str();
  };
  auto add_format = [&](CLI::App* cmd) {
    cmd->add_option("--format", common.format, "markdown | csv | json")
        ->capture_default_str()
        ->check(CLI::IsMember({"markdown", "md", "csv", "json"}));
  };
  // KEY=VALUE overrides after the input file (and -m, multirun, where a sweep is read).
  auto add_overrides = [](CLI::App* cmd, std::vector<std::string>* overrides, bool* multirun) {
    cmd->add_option(
        "overrides", *overrides,
        "KEY=VALUE: set a trial key (lora.r=8, train.steps=20) or, for a sweep, a sweep "
        "key (name=, gpu_profile=, repeat=), after the file; values are YAML "
        "(8, nf4, [q,v])");
    if (multirun != nullptr) {
      cmd->add_flag("-m,--multirun", *multirun,
                    "KEY=A,B,C varies KEY over A, B and C (a grid axis, replacing one of that "
                    "key)");
    }
  };

  RunArgs run;
  auto* run_cmd = app.add_subcommand(
      "run", "Run every trial of a sweep not yet recorded (resumes), then print its table");
  run_cmd->add_option(
      "sweep", run.sweep_file,
      "Sweep file (YAML); without one, the built-in default sweep (tiny model, CPU)");
  add_overrides(run_cmd, &run.overrides, &run.multirun);
  add_db(run_cmd);
  add_format(run_cmd);
  using qlsweep::protocol::TrialStatus;
  const auto retried_only = [](TrialStatus s) {
    return qlsweep::protocol::RunsAgain(s, true) && !qlsweep::protocol::RunsAgain(s, false);
  };
  run_cmd->add_flag(
      "--retry-failed", run.retry_failed,
      "Also re-run trials recorded as " + qlsweep::protocol::StatusNames(retried_only));
  run_cmd
      ->add_option("--timeout", run.timeout_s,
                   "Per-trial time limit in seconds (finite, above 0; default: none)")
      ->check(kPositiveSeconds);
  run_cmd->add_flag("--quiet", run.quiet, "No progress lines");
  run_cmd->add_flag(
      "--save-adapters,--save-adapter", run.save_adapters,
      "Save each trial's LoRA adapter (PEFT format) to <db dir>/adapters/<trial id>/");
  run_cmd->add_option(
      "--gpus", run.gpus,
      "Comma-separated GPUs (CUDA_VISIBLE_DEVICES entries), one trial on each at once "
      "(default: the entries of CUDA_VISIBLE_DEVICES, else one trial at a time)");

  run_cmd->footer(
      "A sweep's `search:` draws trials at random (kind: random) or bisects one key to the "
      "largest\n"
      "value that fits its memory (kind: fit: probes one at a time, prints `fit: ...` after the\n"
      "table; exit 1 when a probe fails). docs/sweep-file.md, docs/runner.md");

  PlanArgs plan;
  auto* plan_cmd =
      app.add_subcommand("plan", "Print the trials a sweep expands into (nothing runs)");
  plan_cmd->add_option("sweep", plan.sweep_file,
                       "Sweep file (YAML); without one, the built-in default");
  add_overrides(plan_cmd, &plan.overrides, &plan.multirun);
  add_format(plan_cmd);

#if QLSWEEP_HAS_TRAINER  // a build without torch has no trainer, hence no `train`
  std::string trial_file, h5_path, adapter_dir;
  std::vector<std::string> train_overrides;
  auto* train_cmd = app.add_subcommand(
      "train", "Run one trial in this process; events as JSON lines on stdout (what `run` spawns)");
  train_cmd->add_option("trial", trial_file, "Trial file (YAML or JSON; keys below)")->required();
  add_overrides(train_cmd, &train_overrides, nullptr);
  train_cmd->add_option("--h5", h5_path, "Write the step and eval series to this HDF5 file");
  train_cmd->add_option("--save-adapter,--save-adapters", adapter_dir,
                        "Save the trained LoRA adapter here (adapter_model.safetensors + "
                        "adapter_config.json, as HF PEFT writes them)");
  train_cmd->footer("Trial keys (dotted paths; every key is optional):\n" +
                    qlsweep::sweeps::SchemaHelpText());
#endif

  TableArgs table;
  auto* table_cmd = app.add_subcommand("table", "Print the trade-off table of a sweep's trials");
  add_db(table_cmd);
  add_format(table_cmd);
  table_cmd->add_option("--sweep", table.sweep, "Sweep name (default: the only or latest sweep)");
  table_cmd->add_flag("--calibration", table.calibration,
                      "Predicted (memory estimator) vs measured memory, with the error");
  table_cmd->add_option(
      "--by", table.by,
      "Trade-off table of this key, one row per trial (oom and failed included), ending with\n"
      "its Pareto fronts; 'fits?' is judged against the trials' GPU profile:\n"
      "  data.seq_len (seq_len)  activation memory, total, fits?, tokens/s\n"
      "  lora.r (rank)           trainable params, total, fits?, tokens/s, eval loss, quality\n"
      "  batch (train.micro_batch, train.grad_accum)\n"
      "                          effective batch, total, fits?, tokens/s, time per batch\n"
      "  quality (memory)        total, fits?, eval loss, perplexity, quality; by memory\n"
      "  any other key           total, fits?, tokens/s, eval loss, quality\n"
      "Without --by: every recorded figure of each trial. Definitions: docs/analysis.md");

  ReportArgs report;
  auto* report_cmd = app.add_subcommand(
      "report", "Write a sweep's tables and plots (gnuplot) into one folder with an index.html");
  report_cmd->footer(
      "Writes index.html and report.md (everything below on one page), tables/*.md and *.csv\n"
      "(the trial table, each trade-off table of `table --by` that the sweep's varied keys call\n"
      "for, the two Pareto fronts) and plots/*.svg, *.png drawn by gnuplot from plots/*.gp and\n"
      "*.dat: peak memory by each numeric varied key with the GPU profile's line, quality (or\n"
      "eval loss) and tokens/s vs memory with their Pareto fronts, and the loss curves from the\n"
      "HDF5 series. Definitions: docs/analysis.md");
  add_db(report_cmd);
  report_cmd->add_option("--sweep", report.sweep, "Sweep name (default: the latest sweep)");
  report_cmd->add_option("--out", report.out_dir,
                         "Output folder (default: report-<sweep>/ beside the run index)");
  report_cmd
      ->add_option("--gnuplot", report.gnuplot,
                   "gnuplot program or path; without it only tables and scripts are written "
                   "(exit 1)")
      ->capture_default_str();

  TableArgs runs;
  auto* runs_cmd = app.add_subcommand("runs", "List recorded trials");
  add_db(runs_cmd);
  add_format(runs_cmd);
  runs_cmd->add_option("--sweep", runs.sweep, "Only trials of this sweep");
  runs_cmd->add_option("--where", runs.where,
                       "Only trials whose parameter or result satisfies KEY OP VALUE, e.g. "
                       "'lora.r>=16', 'final_eval_loss<3.2' "
                       "(repeatable; OP: = != < <= > >=)");
  runs_cmd->add_option("--tag", runs.tags,
                       "Only trials tagged TAG (`qlsweep tag`; repeatable: every tag must be "
                       "there)");
  runs_cmd->add_option("--status", runs.status,
                       "Only trials with this status (" + qlsweep::protocol::StatusNames() + ")");

  QueryArgs query;
  auto* query_cmd = app.add_subcommand("query", "Run a read-only SQL query on the run index");
  query_cmd
      ->add_option("sql", query.sql,
                   "SQL text (writes, ATTACH/DETACH and pragmas that set something are refused)")
      ->required();
  query_cmd
      ->add_option("--timeout", query.timeout_s,
                   "Stop the query after this many seconds (exit 2); at most " +
                       std::to_string(kQueryMaxRows) + " rows are returned")
      ->capture_default_str()
      ->check(kPositiveSeconds);
  add_db(query_cmd);
  add_format(query_cmd);

  EstimateArgs estimate;
  auto* estimate_cmd = app.add_subcommand(
      "estimate",
      "Print a trial config's analytic memory budget, whether it fits a GPU profile, and its "
      "training speed projected onto that profile (docs/speed-projection.md)");
  estimate_cmd->add_option("config", estimate.config_file, "Trial file (YAML or JSON)")->required();
  add_overrides(estimate_cmd, &estimate.overrides, nullptr);
  estimate_cmd->add_option("--gpu-profile,--gpu", estimate.gpu,
                           "GPU profile to judge against (default: the config's "
                           "hardware.gpu_profile); see `qlsweep gpus`. --gpu: the same");
  estimate_cmd
      ->add_option("--samples", estimate.samples,
                   "Sequences per epoch for the speed projection's epoch time (default 10000)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  estimate_cmd
      ->add_option("--epochs", estimate.epochs,
                   "Epochs for the speed projection's total time (default 3)")
      ->check(CLI::Range(1, 1000000));
  estimate_cmd->add_flag("--speed", estimate.speed,
                         "With --format csv or json: the speed projection table instead of the "
                         "memory table (markdown prints both)");
  add_format(estimate_cmd);
  auto* gpus_cmd = app.add_subcommand("gpus", "List the built-in GPU profiles");
  add_format(gpus_cmd);

  CompareArgs compare;
  auto* compare_cmd = app.add_subcommand(
      "compare", "Configs and results of recorded trials side by side (what differs)");
  compare_cmd->add_option("trials", compare.trials, "Trial ids, id prefixes or trial names")
      ->required();
  compare_cmd->add_flag("--all", compare.all,
                        "Every parameter and result, not only the differing "
                        "parameters and the main results");
  add_db(compare_cmd);
  add_format(compare_cmd);

  TagArgs tag;
  auto* tag_cmd = app.add_subcommand(
      "tag", "Tag a recorded trial (shown by runs and compare; runs --tag filters by it)");
  tag_cmd->add_option("trial", tag.trial, "Trial id, id prefix or trial name")->required();
  tag_cmd->add_option("tags", tag.tags, "Tags: letters, digits and _ . : + -")->required();
  tag_cmd->add_flag("--remove", tag.remove, "Take these tags off instead");
  tag_cmd->footer(
      "Tags and notes live in the run index (trial_tags, trial_notes) and may be written while\n"
      "a `run` records trials. docs/records.md");
  add_db(tag_cmd);

  NoteArgs note;
  auto* note_cmd = app.add_subcommand(
      "note", "Add a note (free text) to a recorded trial; earlier notes are kept");
  note_cmd->add_option("trial", note.trial, "Trial id, id prefix or trial name")->required();
  note_cmd->add_option("text", note.text, "The note (quote it)")->required();
  add_db(note_cmd);

  std::vector<std::string> examples_args;
  bool examples_force = false;
  auto* examples_cmd = app.add_subcommand(
      "examples", "List the shipped example sweeps, print one, or copy one to edit");
  examples_cmd->add_option("action", examples_args,
                           "ls (default) | show NAME | cp NAME [DEST] (DEST: file or folder; "
                           "default ./NAME.yaml)");
  examples_cmd->add_flag("--force", examples_force, "cp: overwrite DEST");
  add_format(examples_cmd);

  ReproduceArgs reproduce;
  auto* reproduce_cmd = app.add_subcommand(
      "reproduce",
      "Run the seed report's sweeps (resuming) and write it with the seed's numbers beside ours "
      "and a verdict per claim");
  reproduce_cmd->add_option("report", reproduce.what, "Which report: seed-report")
      ->required()
      ->check(CLI::IsMember({"seed-report"}));
  reproduce_cmd
      ->add_option("--gpu-profile", reproduce.gpu_profile,
                   "The card the claims are judged against (`qlsweep gpus`)")
      ->capture_default_str();
  add_db(reproduce_cmd);
  reproduce_cmd->add_option("--out", reproduce.out_dir,
                            "Output folder: report.md, index.html, sweeps/<sweep>/ (default: "
                            "seed-report/ beside the run index; --quick: seed-report-quick/)");
  reproduce_cmd->add_flag("--quick", reproduce.quick,
                          "The tiny model on the CPU, a few steps: the same sections and verdict "
                          "logic in about a minute (CI); its claims cannot be checked");
  reproduce_cmd->add_option("--model", reproduce.model,
                            "SmolLM2-135M-Instruct GGUF (default: "
                            "/opt/qlsweep/models/SmolLM2-135M-Instruct.Q4_1.gguf)");
  reproduce_cmd->add_option("--data", reproduce.data,
                            "fortunes JSONL (default: /opt/qlsweep/data/fortunes.jsonl)");
  reproduce_cmd->add_option("--gpus", reproduce.gpus, "As `run --gpus`: one trial per GPU at once");
  reproduce_cmd
      ->add_option("--timeout", reproduce.timeout_s,
                   "Per-trial time limit in seconds (finite, above 0; default: none)")
      ->check(kPositiveSeconds);
  reproduce_cmd->add_flag("--retry-failed", reproduce.retry_failed,
                          "Also re-run trials recorded as failed, oom or timeout");
  reproduce_cmd->add_flag("--quiet", reproduce.quiet, "No progress lines");
  reproduce_cmd->add_option("--gnuplot", reproduce.gnuplot, "gnuplot program or path")
      ->capture_default_str();
  reproduce_cmd->footer(
      "Runs data/seed-report/gpu/*.yaml (--quick: data/seed-report/quick/*.yaml) through the "
      "coordinator\ninto --db; re-running skips finished trials. About 24 minutes on one H200 "
      "(estimated). "
      "Verdicts:\nholds / does not hold / cannot be checked here, with the reason. "
      "docs/seed-report.md");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too (exit 0); every parse error is invalid input: exit 2,
    // not CLI11's own codes (105-115).
    return app.exit(e) == 0 ? 0 : kExitInvalid;
  }
  try {
    if (*run_cmd) return RunCommand(run, common);
    if (*plan_cmd) return PlanCommand(plan, common);
#if QLSWEEP_HAS_TRAINER
    if (*train_cmd) return TrainCommand(trial_file, h5_path, adapter_dir, train_overrides);
#endif
    if (*table_cmd) return TableCommand(table, common);
    if (*report_cmd) return ReportCommand(report, common);
    if (*runs_cmd) return RunsCommand(runs, common);
    if (*query_cmd) return QueryCommand(query, common);
    if (*estimate_cmd) return EstimateCommand(estimate, common);
    if (*gpus_cmd) return GpusCommand(common);
    if (*compare_cmd) return CompareCommand(compare, common.db_path, common.format);
    if (*reproduce_cmd) return ReproduceCommand(reproduce, common);
    if (*tag_cmd) return TagCommand(tag, common.db_path);
    if (*note_cmd) return NoteCommand(note, common.db_path);
    if (*examples_cmd) return ExamplesCommand(examples_args, examples_force, common.format);
  } catch (const InvalidInput& e) {  // a bad --db
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitInvalid;
  } catch (const qlsweep::sweeps::ConfigError& e) {
    std::fprintf(stderr, "qlsweep: invalid config:\n%s\n", e.what());
    return kExitInvalid;
  } catch (const std::invalid_argument& e) {  // a bad --format, --where, an unknown sweep, ...
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitInvalid;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitFailure;
  }
  return 0;
}
