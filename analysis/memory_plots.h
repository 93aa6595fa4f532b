// The report's memory plots: memory by a varied key, memory vs quality, tokens/s vs memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/plot_file.h"
#include "analysis/sweep_analysis.h"

namespace qlsweep::analysis {

// Varying parameters whose values are all numbers (those a memory-by-key plot can use as x).
std::vector<std::string> NumericVaryingKeys(const SweepAnalysis& a);

// Total memory of the finished trials against `key`, one line per combination of the other
// varying parameters; trials that ran out of memory as red crosses at the GPU profile's memory,
// which is drawn as a dashed line when the trials share one profile.
PlotFile MemoryByKeyPlot(const SweepAnalysis& a, const std::string& key);

// Eval quality against total memory with the memory vs quality Pareto front as a staircase;
// y is the quality score when the sweep has a yardstick, else the eval loss. nullopt when no
// trial has both figures.
std::optional<PlotFile> MemoryQualityPlot(const SweepAnalysis& a);

// Tokens/s against total memory with the memory vs speed Pareto front; nullopt without data.
std::optional<PlotFile> SpeedMemoryPlot(const SweepAnalysis& a);

// The trial's values of the varying parameters not in `skip`, each key by its last part:
// "r=4, seq_len=64"; "" when there are none.
std::string VaryingLabel(const SweepAnalysis& a, size_t trial,
                         const std::vector<std::string>& skip);

// VaryingLabel of every varying parameter, or the trial's name when nothing varies.
std::string ShortLabel(const SweepAnalysis& a, size_t trial);

}  // namespace qlsweep::analysis
