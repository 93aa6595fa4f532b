// Repeated trials (`repeat: K`, seeds s..s+K-1) folded into one row per configuration: the mean of
// each figure, its spread, and notes where two rows differ by less than their noise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/text_table.h"
#include "storage/run_index.h"

namespace qlsweep::analysis {

struct SweepAnalysis;

// The spread of one configuration's figures over its seeds: sample standard deviations (n - 1),
// present when at least two seeds finished with the figure.
struct FigureSpread {
  int runs = 0;  // trials (seeds) of the configuration
  int done = 0;  // those that finished; the means are over these
  std::optional<double> total_bytes, activation_bytes, tokens_per_s, eval_loss, perplexity, quality;
};

// The sweep's `repeat:` (from its recorded spec), 1 when it has none.
int SweepRepeat(const storage::SweepRecord& sweep);

// The configuration a repeated trial belongs to: its name without ",train.seed=N" ("base" when
// nothing else is left).
std::string ConfigurationName(const std::string& trial_name);

// Folds the trials of `a` (figures computed) by configuration: one row each, in first-seed order,
// named by ConfigurationName, without the train.seed parameter, its figures the means over the
// seeds that finished (its status `done` when all did, else the first other status) and
// `a.spread` their spread. "Fits?" is judged on the largest total of the seeds. The quality
// yardstick becomes the reference configuration's mean base and final eval loss, so the
// reference's mean quality is 1.
void FoldRepeats(SweepAnalysis& a);

// For rows next to each other in `table` (its "trial" column names configurations of `a`): a note
// for each figure (eval loss, tokens/s) whose means differ by less than two standard errors of
// the difference, and one for each configuration whose tokens/s varies by more than 5% over its
// seeds. Empty without spread.
std::vector<std::string> NoiseNotes(const SweepAnalysis& a, const TextTable& table);

}  // namespace qlsweep::analysis
