// The report's loss curves: training loss per step and eval loss of every trial, from HDF5.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/plot_file.h"
#include "analysis/sweep_analysis.h"

namespace qlsweep::analysis {

// The series of one trial as its series file holds them.
struct TrialSeries {
  size_t trial = 0;                          // index into SweepAnalysis::trials
  std::vector<double> step, loss;            // /train/step, /train/loss
  std::vector<double> eval_step, eval_loss;  // /eval/step, /eval/eval_loss (step 0: the base)
};

// Reads the series of every trial whose file exists: its recorded h5_path, else
// `fallback_dir`/<id>.h5 (a run index moved with its folder). A file that cannot be read
// (damaged, truncated, unreadable) is skipped and named in `*problems`, and so is a missing file
// of a trial that ran (any status but planned and running; not a failed trial with exit 2, whose
// config was refused before it wrote anything).
std::vector<TrialSeries> ReadTrialSeries(const SweepAnalysis& a, const std::string& fallback_dir,
                                         std::vector<std::string>* problems);

// Training loss as lines and eval loss as points of the same colour, one pair per trial; past six
// trials, one small panel per trial on a shared scale (gnuplot multiplot) instead. nullopt when no
// trial has a point.
std::optional<PlotFile> LossCurvesPlot(const SweepAnalysis& a,
                                       const std::vector<TrialSeries>& series);

}  // namespace qlsweep::analysis
