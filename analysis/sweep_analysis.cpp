// Per-trial figures, quality scores, fit verdicts and Pareto memberships of one sweep.
#include "analysis/sweep_analysis.h"

#include <functional>
#include <stdexcept>

#include "analysis/memory_fit.h"
#include "analysis/pareto_front.h"
#include "analysis/trial_table.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {
namespace {

TrialFigures FiguresOf(const storage::TrialRow& t, const storage::SweepRecord& sweep,
                       const std::optional<QualityYardstick>& yardstick) {
  TrialFigures f;
  namespace result = protocol::result;
  const bool done = t.status == protocol::TrialStatus::kDone;
  if (done) {
    f.total_bytes = Result(t, result::kDevicePeakBytes);
    f.tokens_per_s = Result(t, result::kTokensPerS);
    f.eval_loss = Result(t, result::kFinalEvalLoss);
    f.perplexity = Result(t, result::kPerplexity);
    const auto peak = Result(t, result::kPeakAllocBytes);
    const auto loaded = Result(t, result::kStartedAllocBytes);
    if (peak && loaded) f.activation_bytes = *peak - *loaded;
  }
  if (yardstick) f.quality = QualityScore(t, *yardstick);
  f.profile = TrialGpuProfile(t, sweep.gpu_profile);
  f.fits = FitVerdict(t, f.profile);
  return f;
}

// Which trials are on the front of total memory (lower is better) against `benefit` (higher is
// better); trials without a total or a benefit are not candidates.
std::vector<bool> MemoryFront(
    const std::vector<TrialFigures>& figures,
    const std::function<std::optional<double>(const TrialFigures&)>& benefit) {
  std::vector<ParetoPoint> points;
  std::vector<size_t> candidates;
  for (size_t i = 0; i < figures.size(); ++i) {
    const auto b = benefit(figures[i]);
    if (!figures[i].total_bytes || !b) continue;
    points.push_back({*figures[i].total_bytes, *b});
    candidates.push_back(i);
  }
  const auto front = ParetoFront(points);
  std::vector<bool> on_front(figures.size(), false);
  for (size_t k = 0; k < candidates.size(); ++k) on_front[candidates[k]] = front[k];
  return on_front;
}

}  // namespace

SweepAnalysis AnalyzeSweep(const storage::SweepRecord& sweep,
                           std::vector<storage::TrialRow> trials) {
  SweepAnalysis a;
  a.sweep = sweep;
  a.trials = std::move(trials);
  a.yardstick = FindYardstick(a.trials, sweep.reference, &a.no_quality_reason);
  for (const auto& t : a.trials) a.figures.push_back(FiguresOf(t, sweep, a.yardstick));
  if (SweepRepeat(sweep) > 1) FoldRepeats(a);
  const auto quality_front = MemoryFront(a.figures, [](const TrialFigures& f) {
    return f.eval_loss ? std::optional<double>(-*f.eval_loss) : std::nullopt;
  });
  const auto speed_front =
      MemoryFront(a.figures, [](const TrialFigures& f) { return f.tokens_per_s; });
  for (size_t i = 0; i < a.figures.size(); ++i) {
    a.figures[i].pareto_quality = quality_front[i];
    a.figures[i].pareto_speed = speed_front[i];
  }
  a.varying = VaryingParams(a.trials);
  return a;
}

SweepAnalysis LoadSweepAnalysis(const storage::RunIndex& index, const std::string& sweep) {
  const auto record = index.Sweep(sweep);
  if (!record) {
    throw std::invalid_argument(index.path() + ": no sweep named '" + sweep + "' is recorded");
  }
  auto trials = index.Trials(sweep);
  if (trials.empty()) {
    throw std::invalid_argument(index.path() + ": no trials recorded for sweep '" + sweep + "'");
  }
  return AnalyzeSweep(*record, std::move(trials));
}

std::string ParetoLabel(const TrialFigures& f) {
  if (f.pareto_quality && f.pareto_speed) return "quality, speed";
  if (f.pareto_quality) return "quality";
  if (f.pareto_speed) return "speed";
  return "";
}

}  // namespace qlsweep::analysis
