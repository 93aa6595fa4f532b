// What the trade-off tables and the report derive from a sweep's records, computed once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/quality_score.h"
#include "analysis/repeat_groups.h"
#include "storage/run_index.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {

// Derived figures of one trial (docs/analysis.md defines each). Empty optionals where the trial
// did not measure the figure (an oom or failed trial has no totals, speed or losses).
struct TrialFigures {
  std::optional<double> total_bytes;       // device_peak_bytes: peak in use, CUDA context included
  std::optional<double> activation_bytes;  // peak_alloc_bytes - started.memory.alloc_bytes
  std::optional<double> tokens_per_s;      // steady-state training throughput (steps 2..N)
  std::optional<double> eval_loss;         // final_eval_loss
  std::optional<double> perplexity;
  std::optional<double> quality;                // QualityScore against the sweep's yardstick
  const sweeps::GpuProfile* profile = nullptr;  // the profile it was held to, if any
  std::string fits;                             // FitVerdict
  bool pareto_quality = false;                  // on the memory vs quality front
  bool pareto_speed = false;                    // on the memory vs tokens/s front
};

struct SweepAnalysis {
  storage::SweepRecord sweep;
  std::vector<storage::TrialRow> trials;  // planning order
  std::vector<TrialFigures> figures;      // one per trial, same order
  std::optional<QualityYardstick> yardstick;
  std::string no_quality_reason;     // why `yardstick` is empty
  std::vector<std::string> varying;  // parameters whose values differ across the trials
  // With `repeat: K` (K > 1) the trials are configurations (FoldRepeats): their figures are means
  // over the seeds, and spread[i] is row i's spread. Empty otherwise.
  std::vector<FigureSpread> spread;
  std::vector<storage::TrialRow> seed_trials;  // with repeats: every trial, before folding
};

// Computes every trial's figures (folded into configurations when the sweep repeats) and both
// Pareto fronts. The fronts take the trials that are
// `done` with a total: memory vs quality ranks them by final_eval_loss (lower is better, the same
// order as the quality score, so the front exists without a reference), memory vs speed by
// tokens_per_s.
SweepAnalysis AnalyzeSweep(const storage::SweepRecord& sweep,
                           std::vector<storage::TrialRow> trials);

// Reads the sweep and its trials from the run index and analyses them. Throws
// std::invalid_argument when the sweep is not recorded or has no trials.
SweepAnalysis LoadSweepAnalysis(const storage::RunIndex& index, const std::string& sweep);

// "quality", "speed", "quality, speed" or "" for the trial's Pareto memberships.
std::string ParetoLabel(const TrialFigures& figures);

}  // namespace qlsweep::analysis
