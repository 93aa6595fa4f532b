// Loss curves: reading /train and /eval of each trial's series file, and the plot of them.
#include "analysis/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/gnuplot_script.h"
#include "analysis/memory_plots.h"
#include "protocol/events.h"
#include "protocol/exit_codes.h"
#include "protocol/trial_status.h"
#include "storage/series_file.h"

namespace qlsweep::analysis {
namespace {

constexpr size_t kMaxOverlaidCurves = 6;  // more trials than this: one panel each

// "x y" rows of the finite pairs, then the block separator; false when no row was written.
bool AppendBlock(const std::vector<double>& x, const std::vector<double>& y, std::string* data) {
  bool any = false;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g %.6g\n", x[i], y[i]);
    *data += buf;
    any = true;
  }
  if (any) *data += "\n\n";
  return any;
}

// Whether a trial's run left a series file: it ran (not planned or running) and got past reading
// its config (a failed trial with exit 2 wrote nothing), and the coordinator recorded a path for
// it (a finished trial always has one).
bool ShouldHaveSeries(const storage::TrialRow& t) {
  using protocol::TrialStatus;
  if (!protocol::IsFinal(t.status)) return false;
  if (t.status == TrialStatus::kFailed && t.exit_code == protocol::kExitConfig) return false;
  return t.status == TrialStatus::kDone || !t.h5_path.empty();
}

// The last finite step of any trial.
double LastStep(const std::vector<TrialSeries>& series) {
  double last = 0;
  for (const auto& s : series) {
    for (double step : s.step) last = std::isfinite(step) ? std::max(last, step) : last;
  }
  return last;
}

// Whole steps only: about `count` tics whatever the run's length.
std::string StepTics(double last_step, int count = 10) {
  return "set xtics " +
         std::to_string(std::max(1, static_cast<int>(std::ceil(last_step / count)))) + "\n";
}

// A curve's name: the varying parameters, and how the trial ended when it did not finish.
std::string CurveLabel(const SweepAnalysis& a, const TrialSeries& s) {
  std::string label = ShortLabel(a, s.trial);
  if (a.trials[s.trial].status != protocol::TrialStatus::kDone) {
    label += " (" + std::string(protocol::ToString(a.trials[s.trial].status)) + ")";
  }
  return label;
}

// One small panel per trial on a shared scale, 3 (4 past 12 trials) to a row: many overlaid
// curves in ten colours cannot be told apart.
std::optional<PlotFile> SmallMultiples(const SweepAnalysis& a,
                                       const std::vector<TrialSeries>& series) {
  PlotFile plot{"loss-curves", "Training loss (lines) and eval loss (points), one panel per trial",
                "", ""};
  double low = INFINITY, high = -INFINITY;
  for (const auto& s : series) {
    for (const auto* values : {&s.loss, &s.eval_loss}) {
      for (double v : *values) {
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
      }
    }
  }
  if (!std::isfinite(low)) return std::nullopt;
  const double pad = high > low ? (high - low) * 0.05 : 0.05;
  const size_t columns = series.size() > 12 ? 4 : 3;
  const size_t rows = (series.size() + columns - 1) / columns;
  plot.height = 70 + static_cast<int>(rows) * 200;
  const std::string file = GnuplotQuote(plot.stem + ".dat");
  std::string& b = plot.body;
  char range[96];
  std::snprintf(range, sizeof(range), "set yrange [%.6g:%.6g]\n", low - pad, high + pad);
  b += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(columns) + " title " +
       GnuplotQuote("Loss per trial - sweep " + a.sweep.name +
                    " (train lines, eval points; step 0: the untuned base model)") +
       " margins 0.07, 0.98, 0.06, 0.92 spacing 0.05, 0.09\n";
  b += "unset key\nset xrange [0:" + std::to_string(static_cast<int>(LastStep(series))) + "]\n";
  b += range + StepTics(LastStep(series), 4) + "set tics font ',9'\n";
  int block = 0;
  for (const auto& s : series) {
    std::string clauses;
    if (AppendBlock(s.step, s.loss, &plot.data)) {
      clauses += file + " index " + std::to_string(block++) + " using 1:2 with lines lt 1";
    }
    if (AppendBlock(s.eval_step, s.eval_loss, &plot.data)) {
      clauses += (clauses.empty() ? file : ", ''") + " index " + std::to_string(block++) +
                 " using 1:2 with points lt 2 ps 0.9";
    }
    b += "set title " + GnuplotQuote(CurveLabel(a, s)) + " font ',10'\n";
    b += "plot " + (clauses.empty() ? std::string("NaN") : clauses) + "\n";
  }
  b += "unset multiplot\n";
  return plot;
}

}  // namespace

std::vector<TrialSeries> ReadTrialSeries(const SweepAnalysis& a, const std::string& fallback_dir,
                                         std::vector<std::string>* problems) {
  namespace fs = std::filesystem;
  std::vector<TrialSeries> all;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto& t = a.trials[i];
    std::string path = t.h5_path;
    if (path.empty() || !fs::exists(path))
      path = (fs::path(fallback_dir) / (t.id + ".h5")).string();
    if (!fs::exists(path)) {
      if (ShouldHaveSeries(t) && problems != nullptr) {
        problems->push_back("series file " + (t.h5_path.empty() ? path : t.h5_path) + " of trial " +
                            t.id + " (" + t.name + ", " +
                            std::string(protocol::ToString(t.status)) +
                            ") is missing; its loss curves are left out");
      }
      continue;
    }
    try {
      TrialSeries s;
      s.trial = i;
      namespace field = protocol::field;
      using storage::SeriesDataset;
      s.step = storage::ReadSeries(path, SeriesDataset(storage::kTrainGroup, field::kStep));
      s.loss = storage::ReadSeries(path, SeriesDataset(storage::kTrainGroup, field::kLoss));
      s.eval_step = storage::ReadSeries(path, SeriesDataset(storage::kEvalGroup, field::kStep));
      s.eval_loss = storage::ReadSeries(path, SeriesDataset(storage::kEvalGroup, field::kEvalLoss));
      all.push_back(std::move(s));
    } catch (const std::exception& e) {
      if (problems != nullptr) {
        problems->push_back(std::string(e.what()) + "; the loss curves of trial " + t.id + " (" +
                            t.name + ") are left out");
      }
    }
  }
  return all;
}

std::optional<PlotFile> LossCurvesPlot(const SweepAnalysis& a,
                                       const std::vector<TrialSeries>& series) {
  if (series.size() > kMaxOverlaidCurves) return SmallMultiples(a, series);
  PlotFile plot{"loss-curves", "Training loss (lines) and eval loss (points) per trial", "", ""};
  const std::string file = GnuplotQuote(plot.stem + ".dat");
  std::string clauses;
  int block = 0;
  for (size_t n = 0; n < series.size(); ++n) {
    const auto& s = series[n];
    // The ten colours of CommonSettings, then the same colours dashed.
    const std::string style =
        " lt " + std::to_string(n % 10 + 1) + " dt " + std::to_string(n / 10 + 1);
    const std::string label = CurveLabel(a, s);
    const bool train = AppendBlock(s.step, s.loss, &plot.data);
    if (train) {
      clauses += (clauses.empty() ? "" : ", \\\n     ") + file + " index " +
                 std::to_string(block++) + " using 1:2 with lines" + style + " title " +
                 GnuplotQuote(label);
    }
    if (AppendBlock(s.eval_step, s.eval_loss, &plot.data)) {
      clauses += (clauses.empty() ? "" : ", \\\n     ") + file + " index " +
                 std::to_string(block++) + " using 1:2 with points" + style + " ps 1.1" + " " +
                 (train ? "notitle" : "title " + GnuplotQuote(label + " eval"));
    }
  }
  if (clauses.empty()) return std::nullopt;
  plot.body = "set title " + GnuplotQuote("Loss per trial - sweep " + a.sweep.name) + "\n";
  plot.body += "set xlabel 'optimizer step (eval at step 0: the untuned base model)'\n";
  plot.body += "set xrange [0:*]\n";
  plot.body += StepTics(LastStep(series));
  plot.body += "set ylabel 'loss (nats/token): train lines, eval points'\n";
  plot.body += "plot " + clauses + "\n";
  return plot;
}

}  // namespace qlsweep::analysis
