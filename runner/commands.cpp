// Subcommand bodies: load inputs, call the coordinator / run index / analysis, print results.
#include "runner/commands.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "analysis/calibration_table.h"
#include "analysis/estimate_table.h"
#include "analysis/fit_answer.h"
#include "analysis/memory_estimator.h"
#include "analysis/report.h"
#include "analysis/speed_projection.h"
#include "analysis/sweep_analysis.h"
#include "analysis/text_table.h"
#include "analysis/tradeoff_tables.h"
#include "analysis/trial_filter.h"
#include "analysis/trial_table.h"
#include "protocol/trial_status.h"
#include "runner/coordinator.h"
#include "runner/cuda_check.h"
#include "runner/db_path.h"
#include "runner/farm.h"
#include "runner/gpu_slots.h"
#include "runner/query_table.h"
#include "runner/record_checks.h"
#include "runner/run_lock.h"
#include "runner/sweep_inputs.h"
#include "runner/tag_command.h"
#include "storage/run_index.h"
#include "sweeps/config_error.h"
#include "sweeps/fit_search.h"
#include "sweeps/gpu_profiles.h"
#include "sweeps/load.h"
#include "sweeps/trial_id.h"

namespace qlsweep::runner {
namespace {

std::unique_ptr<storage::RunIndex> OpenIndexForReading(const std::string& db_path) {
  CheckDbPathForReading(db_path);  // InvalidInput: exit 2
  return storage::RunIndex::OpenReadOnly(db_path);
}

// The named sweep, or else the most recently created one. An unknown name is invalid input.
std::string ResolveSweepName(const storage::RunIndex& index, const std::string& wanted) {
  if (!wanted.empty()) {
    CheckSweepRecorded(index, wanted);
    return wanted;
  }
  auto rows =
      index.Query("SELECT name FROM sweeps ORDER BY created_at DESC, rowid DESC LIMIT 1").rows;
  if (rows.empty() || !rows[0][0]) throw std::runtime_error(index.path() + ": no sweeps recorded");
  return *rows[0][0];
}

void PrintTable(const analysis::TextTable& table, const std::string& format) {
  const auto text = analysis::Render(table, analysis::ParseTableFormat(format));
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// A fit search's answer (analysis/fit_answer.h) on stderr, after its table; nothing for other
// sweeps.
void PrintFitAnswer(const storage::RunIndex& index, const std::string& sweep) {
  const auto record = index.Sweep(sweep);
  if (!record) return;
  if (const auto answer = analysis::FitAnswerOf(*record, index.Trials(sweep))) {
    std::fprintf(stderr, "fit: %s\n", answer->text.c_str());
  }
}

// `table --by KEY`: the trade-off layout of that key; a note on stderr when quality is empty.
int TradeoffCommand(const storage::RunIndex& index, const std::string& sweep, const std::string& by,
                    const CommonOptions& common) {
  analysis::SweepAnalysis analysis;
  analysis::TextTable table;
  try {
    analysis = analysis::LoadSweepAnalysis(index, sweep);
    table = analysis::TradeoffTable(analysis, analysis::ParseTradeoffKey(by));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitInvalid;
  }
  PrintTable(table, common.format);
  const auto& h = table.headers;
  if (!analysis.yardstick && std::find(h.begin(), h.end(), "quality") != h.end()) {
    std::fprintf(stderr, "quality: none (%s)\n", analysis.no_quality_reason.c_str());
  }
  for (const auto& note : analysis::NoiseNotes(analysis, table)) {
    std::fprintf(stderr, "noise: %s\n", note.c_str());
  }
  PrintFitAnswer(index, sweep);
  return 0;
}

// Whether this build can launch trials; says why not (exit 1) when it cannot. Checked after the
// inputs, so that bad input exits 2 in every build.
bool CanRunTrials() {
  if (QLSWEEP_HAS_TRAINER) return true;
  std::fprintf(stderr,
               "qlsweep: this build has no trainer (configured with QLSWEEP_WITH_TORCH=OFF), so "
               "`run` cannot launch trials; use a build with libtorch (scripts/setup configures "
               "build/). Nothing was run.\n");
  return false;
}

}  // namespace

int RunCommand(const RunArgs& args, const CommonOptions& common) {
  // Under mpirun/srun: rank 0 coordinates, the other ranks serve trials (docs/farm.md).
  const auto farm = FarmMember::Join();
  RunOptions options;
  try {
    options.gpus = TrialSlots(args.gpus, std::getenv("CUDA_VISIBLE_DEVICES"));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qlsweep: --gpus: %s; nothing was run\n", e.what());
    return kExitInvalid;
  }
  if (farm && !farm->coordinator()) {
    if (!CanRunTrials()) return kExitFailure;
    return farm->ServeTrials(common.db_path, NodeDevices(options.gpus));
  }
  sweeps::ExpandedSweep sweep;
  try {
    sweep = LoadSweepInputs(SplitSweepInputs(args.sweep_file, args.overrides, args.multirun));
  } catch (const sweeps::ConfigError& e) {
    std::fprintf(stderr, "qlsweep: invalid sweep; nothing was run:\n%s\n", e.what());
    return kExitInvalid;
  }
  PrintSweepNotes(sweep);
  if (farm && sweep.search.kind == sweeps::SearchKind::kFit) {
    std::fprintf(stderr,
                 "qlsweep: %s: a fit search runs its probes one after another, each chosen by the "
                 "last; it does not run on an MPI farm (run it without mpirun/srun); nothing was "
                 "run\n",
                 sweep.file.c_str());
    return kExitInvalid;
  }
  // A farm's trials run on its workers' GPUs, not this rank's: only a plain run is checked here.
  if (const auto need = TrialsNeedingCuda(sweep);
      !farm && !need.empty() &&
      !CudaVisible(std::getenv("CUDA_VISIBLE_DEVICES"), !args.gpus.empty())) {
    std::fprintf(stderr, "qlsweep: %s; nothing was run\n", NoCudaMessage(sweep, need).c_str());
    return kExitInvalid;
  }
  try {
    CheckDbPathForWriting(common.db_path);
  } catch (const InvalidInput& e) {
    std::fprintf(stderr, "qlsweep: %s; nothing was run\n", e.what());
    return kExitInvalid;
  }
  if (!CanRunTrials()) return kExitFailure;
  options.db_path = common.db_path;
  options.retry_failed = args.retry_failed;
  options.trial_timeout_s = args.timeout_s;
  options.quiet = args.quiet;
  options.save_adapters = args.save_adapters;
  if (farm) options.executor = farm->Executor(options);
  RunSummary summary;
  try {
    summary = RunSweep(sweep, options);
  } catch (const RunLockBusy& e) {
    std::fprintf(stderr, "qlsweep: %s; nothing was run\n", e.what());
    return kExitBusy;
  }
  std::fprintf(stderr,
               "sweep %s: %d trial(s); ran %d (done %d, oom %d, failed %d, killed %d, timeout %d); "
               "%d already recorded\n",
               sweep.name.c_str(), summary.planned, summary.ran, summary.done, summary.oom,
               summary.failed, summary.killed, summary.timeout, summary.skipped);
  auto index = OpenIndexForReading(common.db_path);
  PrintTable(analysis::TrialTable(index->Trials(sweep.name)), common.format);
  std::fprintf(stderr, "records: %s (SQLite), %s/series/*.h5 (HDF5)\n", common.db_path.c_str(),
               std::filesystem::path(common.db_path).parent_path().string().c_str());
  if (sweep.search.kind == sweeps::SearchKind::kFit) {
    PrintFitAnswer(*index, sweep.name);
    if (!summary.fit_stopped.empty()) {
      std::fprintf(stderr, "qlsweep: fit search stopped: %s\n", summary.fit_stopped.c_str());
      if (!summary.interrupted) return kExitFailure;
    }
  }
  return summary.interrupted ? kExitInterrupted : 0;
}

int PlanCommand(const PlanArgs& args, const CommonOptions& common) {
  sweeps::ExpandedSweep sweep;
  try {
    sweep = LoadSweepInputs(SplitSweepInputs(args.sweep_file, args.overrides, args.multirun));
  } catch (const sweeps::ConfigError& e) {
    std::fprintf(stderr, "qlsweep: invalid sweep:\n%s\n", e.what());
    return kExitInvalid;
  }
  PrintSweepNotes(sweep);
  if (const auto need = TrialsNeedingCuda(sweep);
      !need.empty() && !CudaVisible(std::getenv("CUDA_VISIBLE_DEVICES"), false)) {
    std::fprintf(stderr, "qlsweep: note: %s; `run` would refuse them here\n",
                 NoCudaMessage(sweep, need).c_str());
  }
  std::vector<storage::TrialRow> rows;
  for (const auto& t : sweep.trials) {
    storage::TrialRow row;
    row.id = t.id;
    row.name = t.name;
    row.status = protocol::TrialStatus::kPlanned;
    row.params = sweeps::FlattenParams(t.resolved);
    rows.push_back(std::move(row));
  }
  analysis::TextTable table;
  table.headers = {"trial", "name"};
  const auto varying = analysis::VaryingParams(rows);
  table.headers.insert(table.headers.end(), varying.begin(), varying.end());
  table.headers.push_back("predicted GiB");
  table.headers.push_back("fits?");
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::vector<std::string> cells = {r.id, r.name};
    for (const auto& k : varying) {
      const auto& text = r.params.at(k);  // JSON text: show strings without their quotes
      cells.push_back(text.starts_with('"') ? nlohmann::json::parse(text).get<std::string>()
                                            : text);
    }
    std::optional<analysis::MemoryEstimate> estimate;
    try {
      estimate = analysis::EstimateMemory(sweep.trials[i]);
    } catch (const std::invalid_argument&) {  // real weights: shapes unknown before loading
    }
    char gib[32] = "-";
    if (estimate) {
      std::snprintf(gib, sizeof(gib), "%.2f",
                    static_cast<double>(estimate->total_bytes) / (1 << 30));
    }
    cells.push_back(gib);
    const auto* profile = sweeps::FindGpuProfile(sweep.trials[i].hardware.gpu_profile);
    cells.push_back(profile == nullptr || !estimate             ? "-"
                    : analysis::Judge(*estimate, *profile).fits ? "fits"
                                                                : "does not fit");
    table.rows.push_back(std::move(cells));
  }
  // The heading goes where it cannot spoil a CSV or JSON table.
  std::fprintf(analysis::ParseTableFormat(common.format) == analysis::TableFormat::kMarkdown
                   ? stdout
                   : stderr,
               "sweep %s: %zu trial(s)%s%s\n", sweep.name.c_str(), sweep.trials.size(),
               sweep.gpu_profile.empty() ? "" : ", gpu profile ", sweep.gpu_profile.c_str());
  if (sweep.search.kind == sweeps::SearchKind::kFit && !sweep.trials.empty()) {
    const int n = static_cast<int>(sweep.trials.size());
    std::fprintf(stderr,
                 "fit search over %s: %d value(s) from %lld to %lld (step %lld); `run` probes at "
                 "most %d of them, one at a time, the first %s\n",
                 sweep.search.key.c_str(), n, static_cast<long long>(sweep.search.low),
                 static_cast<long long>(sweep.search.high),
                 static_cast<long long>(sweep.search.step), sweeps::MaxProbes(n),
                 sweep.trials[static_cast<size_t>(*sweeps::Bisection(n).Next())].name.c_str());
  } else if (sweep.search.kind == sweeps::SearchKind::kRandom) {
    std::fprintf(stderr, "random search: %d draw(s) of %zu key(s) with seed %llu\n",
                 sweep.search.trials, sweep.search.space.size(),
                 static_cast<unsigned long long>(sweep.search.seed));
  }
  PrintTable(table, common.format);
  return 0;
}

int TableCommand(const TableArgs& args, const CommonOptions& common) {
  auto index = OpenIndexForReading(common.db_path);
  const auto sweep = ResolveSweepName(*index, args.sweep);
  if (!args.by.empty() && !args.calibration) return TradeoffCommand(*index, sweep, args.by, common);
  const auto trials = index->Trials(sweep);
  if (trials.empty()) {
    std::fprintf(stderr, "qlsweep: %s: no trials recorded for sweep '%s'\n", common.db_path.c_str(),
                 sweep.c_str());
    return kExitInvalid;
  }
  PrintTable(
      args.calibration ? analysis::CalibrationTable(trials) : analysis::TrialTable(trials, args.by),
      common.format);
  PrintFitAnswer(*index, sweep);
  return 0;
}

int ReportCommand(const ReportArgs& args, const CommonOptions& common) {
  auto index = OpenIndexForReading(common.db_path);
  const auto sweep = ResolveSweepName(*index, args.sweep);
  analysis::SweepAnalysis analysis;
  try {
    analysis = analysis::LoadSweepAnalysis(*index, sweep);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitInvalid;
  }
  const auto db_dir = std::filesystem::absolute(common.db_path).parent_path();
  analysis::ReportOptions options;
  options.out_dir = args.out_dir.empty() ? (db_dir / ("report-" + sweep)).string() : args.out_dir;
  options.gnuplot = args.gnuplot;
  options.series_dir = (db_dir / "series").string();
  const auto outcome = analysis::WriteReport(analysis, options);
  for (const auto& w : outcome.warnings) std::fprintf(stderr, "qlsweep: warning: %s\n", w.c_str());
  std::printf("report of sweep %s: %zu file(s) in %s; open %s/index.html\n", sweep.c_str(),
              outcome.files.size(), options.out_dir.c_str(), options.out_dir.c_str());
  if (!outcome.plot_error.empty()) {
    std::fprintf(stderr, "qlsweep: plots: %s\n", outcome.plot_error.c_str());
    return 1;
  }
  return 0;
}

int RunsCommand(const TableArgs& args, const CommonOptions& common) {
  auto index = OpenIndexForReading(common.db_path);
  analysis::TextTable table;
  table.headers = {
      "trial",   "sweep",  "name",  "status", "attempts",  // literal-ok: column headers
      "started", "wall s", "error", "tags",   "notes"};    // literal-ok: column headers
  if (!args.sweep.empty()) CheckSweepRecorded(*index, args.sweep);
  std::vector<analysis::ParamCondition> conditions;
  for (const auto& w : args.where) conditions.push_back(analysis::ParseParamCondition(w));
  analysis::CheckConditionKeys(index->Trials(), conditions);
  std::optional<protocol::TrialStatus> status;
  if (!args.status.empty()) {
    status = protocol::ParseTrialStatus(args.status);
    if (!status) {
      std::fprintf(stderr, "qlsweep: --status: unknown trial status '%s' (%s)\n",
                   args.status.c_str(), protocol::StatusNames().c_str());
      return kExitInvalid;
    }
  }
  for (const auto& tag : args.tags) {
    if (const auto problem = TagProblem(tag); !problem.empty()) {
      throw std::invalid_argument("--tag: " + problem);
    }
  }
  const auto has_tags = [&](const storage::TrialRow& t) {
    return std::all_of(args.tags.begin(), args.tags.end(), [&](const std::string& tag) {
      return std::find(t.tags.begin(), t.tags.end(), tag) != t.tags.end();
    });
  };
  for (const auto& t : analysis::FilterTrials(index->Trials(args.sweep, status), conditions)) {
    if (!has_tags(t)) continue;
    char wall[32];
    std::snprintf(wall, sizeof(wall), "%.1f", t.wall_s);
    table.rows.push_back({t.id, t.sweep, t.name, std::string(protocol::ToString(t.status)),
                          std::to_string(t.attempts), t.started_at, wall, t.error, TagsCell(t),
                          NotesCell(t)});
  }
  PrintTable(table, common.format);
  return 0;
}

int QueryCommand(const QueryArgs& args, const CommonOptions& common) {
  auto index = OpenIndexForReading(common.db_path);
  storage::QueryResult result;
  try {
    result = index->Query(args.sql, {.timeout_s = args.timeout_s, .max_rows = kQueryMaxRows});
  } catch (const storage::QueryError& e) {
    std::fprintf(stderr, "qlsweep: %s\n", e.what());
    return kExitInvalid;
  }
  PrintTable(QueryTable(result, analysis::ParseTableFormat(common.format)), common.format);
  return 0;
}

int EstimateCommand(const EstimateArgs& args, const CommonOptions& common) {
  sweeps::TrialConfig cfg;
  try {
    cfg = sweeps::LoadTrialFile(args.config_file, {args.overrides, false});
  } catch (const sweeps::ConfigError& e) {
    std::fprintf(stderr, "qlsweep: invalid config:\n%s\n", e.what());
    return kExitInvalid;
  }
  const std::string gpu = args.gpu.empty() ? cfg.hardware.gpu_profile : args.gpu;
  const sweeps::GpuProfile* profile = gpu.empty() ? nullptr : sweeps::FindGpuProfile(gpu);
  if (!gpu.empty() && profile == nullptr) {
    std::fprintf(stderr, "qlsweep: --gpu-profile: %s\n", sweeps::GpuProfileError(gpu).c_str());
    return kExitInvalid;
  }
  if (args.speed && profile == nullptr) {
    std::fprintf(stderr,
                 "qlsweep: --speed needs a GPU profile (--gpu-profile or the config's "
                 "hardware.gpu_profile)\n");
    return kExitInvalid;
  }
  std::string text;
  try {
    const analysis::TableFormat format = analysis::ParseTableFormat(common.format);
    if (args.speed && format != analysis::TableFormat::kMarkdown) {
      text = analysis::SpeedReport(cfg, *profile, args.samples, args.epochs, format);
    } else {
      text = analysis::EstimateReport(cfg, profile, format);
      if (profile != nullptr && format == analysis::TableFormat::kMarkdown) {
        text += analysis::SpeedReport(cfg, *profile, args.samples, args.epochs, format);
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qlsweep: %s: %s\n", args.config_file.c_str(), e.what());
    return kExitInvalid;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int GpusCommand(const CommonOptions& common) {
  PrintTable(analysis::GpuProfilesTable(), common.format);
  return 0;
}

}  // namespace qlsweep::runner
