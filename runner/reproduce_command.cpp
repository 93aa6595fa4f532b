// `qlsweep reproduce seed-report`: load the seed report's sweeps, run them one after the other
// through the coordinator (finished trials are skipped), write a report of each sweep and the
// report with the seed's sections and verdicts.
#include "runner/reproduce_command.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "analysis/gnuplot_run.h"
#include "analysis/report.h"
#include "analysis/seed_report_write.h"
#include "analysis/sweep_analysis.h"
#include "runner/coordinator.h"
#include "runner/cuda_check.h"
#include "runner/db_path.h"
#include "runner/gpu_slots.h"
#include "runner/run_lock.h"
#include "runner/seed_report_sweeps.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;
using analysis::SeedPart;

// "NVIDIA H200" from nvidia-smi when it is there, else a description.
std::string Hardware(bool quick) {
  if (quick) return "the CPU (--quick)";
  if (analysis::FindProgram("nvidia-smi").empty()) return "a CUDA GPU (nvidia-smi not found)";
  std::string name;
  if (FILE* pipe = popen("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null", "r")) {
    char line[256];
    if (std::fgets(line, sizeof(line), pipe) != nullptr) name = line;
    pclose(pipe);
  }
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name.empty() ? "a CUDA GPU" : name;
}

// The estimator's budget of a trial of the GPU set's seed-budget sweep (the 7B shape).
std::optional<analysis::MemoryEstimate> BudgetEstimate(const std::string& name) {
  const auto text = SeedSweepText(SeedPart::kBudget, false);
  if (!text) return std::nullopt;
  const auto sweep =
      sweeps::LoadSweepText(std::string(*text), SeedSweepFile(SeedPart::kBudget, false));
  for (const auto& t : sweep.trials) {
    if (t.name == name) return analysis::EstimateMemory(t);
  }
  return std::nullopt;
}

std::string CommandLine(const ReproduceArgs& args, const CommonOptions& common) {
  std::string cmd = "qlsweep reproduce seed-report --gpu-profile " + args.gpu_profile;
  if (args.quick) cmd += " --quick";
  return cmd + " --db " + common.db_path;
}

}  // namespace

int ReproduceCommand(const ReproduceArgs& args, const CommonOptions& common) {
  if (args.what != "seed-report") {
    std::fprintf(stderr, "qlsweep: reproduce: unknown report '%s' (known: seed-report)\n",
                 args.what.c_str());
    return kExitInvalid;
  }
  const auto* profile = sweeps::FindGpuProfile(args.gpu_profile);
  if (profile == nullptr) {
    std::fprintf(stderr, "qlsweep: --gpu-profile: %s\n",
                 sweeps::GpuProfileError(args.gpu_profile).c_str());
    return kExitInvalid;
  }
  if (!QLSWEEP_HAS_TRAINER) {
    std::fprintf(stderr,
                 "qlsweep: this build has no trainer (QLSWEEP_WITH_TORCH=OFF): reproduce "
                 "cannot run trials. Nothing was run.\n");
    return kExitFailure;
  }
  std::vector<LoadedPart> parts;
  try {
    parts = LoadSeedParts(args.quick, args.gpu_profile, args.model, args.data);
  } catch (const sweeps::ConfigError& e) {
    std::fprintf(stderr, "qlsweep: invalid seed-report sweep; nothing was run:\n%s\n", e.what());
    return kExitInvalid;
  }
  RunOptions options;
  try {
    options.gpus = TrialSlots(args.gpus, std::getenv("CUDA_VISIBLE_DEVICES"));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qlsweep: --gpus: %s; nothing was run\n", e.what());
    return kExitInvalid;
  }
  if (!args.quick && !CudaVisible(std::getenv("CUDA_VISIBLE_DEVICES"), !args.gpus.empty())) {
    std::fprintf(stderr,
                 "qlsweep: reproduce seed-report runs Llama-2-7B and SmolLM2 trials on a CUDA GPU, "
                 "and this machine shows none; on a CPU, `--quick` runs the same sections on the "
                 "tiny model. Nothing was run.\n");
    return kExitInvalid;
  }
  try {
    CheckDbPathForWriting(common.db_path);
  } catch (const InvalidInput& e) {
    std::fprintf(stderr, "qlsweep: %s; nothing was run\n", e.what());
    return kExitInvalid;
  }
  options.db_path = common.db_path;
  options.retry_failed = args.retry_failed;
  options.trial_timeout_s = args.timeout_s;
  options.quiet = args.quiet;

  analysis::SeedReportInputs inputs;
  inputs.quick = args.quick;
  inputs.profile = *profile;
  for (const auto& p : parts) {
    if (!p.sweep) {
      inputs.skipped[p.part] = p.skipped;
      std::fprintf(stderr, "qlsweep: skipping %s: %s\n",
                   analysis::SeedPartSweep(p.part, args.quick).c_str(), p.skipped.c_str());
      continue;
    }
    RunSummary summary;
    try {
      summary = RunSweep(*p.sweep, options);
    } catch (const RunLockBusy& e) {
      std::fprintf(stderr, "qlsweep: %s\n", e.what());
      return kExitBusy;
    }
    std::fprintf(stderr,
                 "sweep %s: %d trial(s); ran %d (done %d, oom %d, failed %d); %d already "
                 "recorded\n",
                 p.sweep->name.c_str(), summary.planned, summary.ran, summary.done, summary.oom,
                 summary.failed, summary.skipped);
    if (summary.interrupted) {
      std::fprintf(stderr, "qlsweep: interrupted; the same command resumes\n");
      return kExitInterrupted;
    }
  }

  const auto db_dir = fs::absolute(common.db_path).parent_path();
  const std::string out =
      args.out_dir.empty() ? (db_dir / (args.quick ? "seed-report-quick" : "seed-report")).string()
                           : args.out_dir;
  auto index = storage::RunIndex::OpenReadOnly(common.db_path);
  bool plot_warned = false;
  for (const auto& p : parts) {
    if (!p.sweep) continue;
    inputs.trials[p.part] = index->Trials(p.sweep->name);
    analysis::ReportOptions report;
    report.out_dir = (fs::path(out) / "sweeps" / p.sweep->name).string();
    report.gnuplot = args.gnuplot;
    report.series_dir = (db_dir / "series").string();
    const auto outcome =
        analysis::WriteReport(analysis::LoadSweepAnalysis(*index, p.sweep->name), report);
    for (const auto& w : outcome.warnings)
      std::fprintf(stderr, "qlsweep: warning: %s\n", w.c_str());
    if (!outcome.plot_error.empty() && !plot_warned) {
      plot_warned = true;
      std::fprintf(stderr, "qlsweep: warning: plots: %s\n", outcome.plot_error.c_str());
    }
  }
  inputs.estimate_optimised = BudgetEstimate("optimised");
  inputs.estimate_unoptimised = BudgetEstimate("unoptimised");
  inputs.hardware = Hardware(args.quick);
  inputs.command = CommandLine(args, common);
  const auto report = analysis::BuildSeedReport(inputs);
  analysis::WriteSeedReport(report, out);
  for (const auto& line : report.summary) std::printf("%s\n", line.c_str());
  std::printf("seed report: %s/index.html and %s/report.md\n", out.c_str(), out.c_str());
  return 0;
}

}  // namespace qlsweep::runner
