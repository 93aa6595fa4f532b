// Data and gnuplot commands of the memory plots; units follow the largest value shown.
#include "analysis/memory_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "analysis/gnuplot_script.h"
#include "analysis/label_layout.h"
#include "analysis/memory_units.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {
namespace {

std::string Num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// The profile every trial with a profile shares; nullptr when none or several.
const sweeps::GpuProfile* SharedProfile(const SweepAnalysis& a) {
  const sweeps::GpuProfile* shared = nullptr;
  for (const auto& f : a.figures) {
    if (f.profile == nullptr) continue;
    if (shared != nullptr && shared != f.profile) return nullptr;
    shared = f.profile;
  }
  return shared;
}

std::string ProfileTitle(const sweeps::GpuProfile& p) {
  return p.name + ": " + GroupedInteger(static_cast<double>(p.memory_bytes) / kMiB) + " MiB";
}

std::string Title(const std::string& what, const SweepAnalysis& a) {
  return "set title " + GnuplotQuote(what + " - sweep " + a.sweep.name) + "\n";
}

std::string LastPart(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// One point of a scatter plot.
struct ScatterPoint {
  double x, y;
  std::string label;
  bool on_front;
};

// [low, high] of `values` widened by `below` and `above` shares of their span (a span of 0
// counts as a tenth of the value, or 1).
std::pair<double, double> Padded(double low, double high, double below, double above) {
  double span = high - low;
  if (span <= 0) span = low != 0 ? std::abs(low) / 10 : 1.0;
  return {low - below * span, high + above * span};
}

// The drawing area inside the axes, fixed in screen fractions so that label places can be
// computed (analysis/label_layout.h): 900 x 560 pixels, the key below it.
constexpr double kAreaLeft = 0.10, kAreaRight = 0.97, kAreaBottom = 0.19, kAreaTop = 0.90;

// A scatter of (total memory, `metric`) for finished trials, the front drawn as a staircase, each
// point labelled where its label fits. The memory axis starts at 0 unless the trials share a GPU
// profile, whose memory is then always drawn (dashed, in the key). `non_negative`: the y axis
// does not go below 0 (tokens/s).
std::optional<PlotFile> ScatterPlot(const SweepAnalysis& a, const std::string& stem,
                                    const std::string& what, const std::string& y_label,
                                    const std::function<std::optional<double>(size_t)>& metric,
                                    const std::function<bool(size_t)>& on_front,
                                    bool non_negative) {
  std::vector<ScatterPoint> points;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto total = a.figures[i].total_bytes;
    const auto y = metric(i);
    if (!total || !y) continue;
    points.push_back({*total, *y, ShortLabel(a, i), on_front(i)});
  }
  if (points.empty()) return std::nullopt;
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& l, const auto& r) { return l.x < r.x; });
  const auto* profile = SharedProfile(a);
  double x_low = points.front().x, x_high = points.back().x;
  double y_low = points.front().y, y_high = y_low;
  for (const auto& p : points) y_low = std::min(y_low, p.y), y_high = std::max(y_high, p.y);
  if (profile != nullptr) {
    x_low = std::min(x_low, static_cast<double>(profile->memory_bytes));
    x_high = std::max(x_high, static_cast<double>(profile->memory_bytes));
  }
  const MemoryUnit unit = UnitFor(x_high);
  auto [x_min, x_max] = Padded(x_low / unit.bytes, x_high / unit.bytes, 0.06, 0.10);
  if (profile == nullptr) x_min = 0;  // from 0, so the differences read true
  auto [y_min, y_max] = Padded(y_low, y_high, 0.12, 0.15);
  if (non_negative) y_min = std::max(0.0, y_min);

  std::vector<double> xf, yf;
  std::vector<std::string> labels;
  for (const auto& p : points) {
    xf.push_back((p.x / unit.bytes - x_min) / (x_max - x_min));
    yf.push_back((p.y - y_min) / (y_max - y_min));
    labels.push_back(p.label);
  }
  LabelCanvas canvas;
  canvas.marker_px = 17;  // the Pareto front's rings (pt 6 ps 2.2)
  canvas.width_px = (kAreaRight - kAreaLeft) * 900;
  canvas.height_px = (kAreaTop - kAreaBottom) * 560;
  std::vector<double> lines;
  if (profile != nullptr) {
    lines.push_back((static_cast<double>(profile->memory_bytes) / unit.bytes - x_min) /
                    (x_max - x_min));
  }
  const auto places = PlaceLabels(xf, yf, labels, canvas, lines);

  PlotFile plot{stem, what, "", ""};
  std::vector<std::string> blocks;  // data blocks, each a plot clause's input
  std::vector<std::string> clauses;
  const std::string file = GnuplotQuote(stem + ".dat");
  const auto add = [&](const std::string& rows, const std::string& how) {
    if (rows.empty()) return;
    plot.data += rows + "\n\n";
    clauses.push_back((clauses.empty() ? file : std::string("''")) + " index " +
                      std::to_string(blocks.size()) + " " + how);
    blocks.push_back(rows);
  };
  std::string all, front;
  std::map<std::string, std::string> by_align;
  int hidden = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    const std::string xy = Num(p.x / unit.bytes) + " " + Num(p.y);
    all += xy + "\n";
    if (p.on_front) front += xy + "\n";
    if (!places[i].shown) {
      ++hidden;
      continue;
    }
    const double lx = p.x / unit.bytes +
                      places[i].dx_chars * canvas.char_width_px / canvas.width_px * (x_max - x_min);
    const double ly =
        p.y + places[i].dy_chars * canvas.char_height_px / canvas.height_px * (y_max - y_min);
    by_align[places[i].align] += Num(lx) + " " + Num(ly) + " " + DataFieldQuote(p.label) + "\n";
  }
  add(all, "using 1:2 with points lt 1 ps 1.4 title 'trial'");
  for (const char* align : {"left", "right", "center"}) {
    add(by_align[align],
        std::string("using 1:2:3 with labels ") + align + " font ',9' tc rgb '#505050' notitle");
  }
  add(front, "using 1:2 with steps lt 2 title 'Pareto front'");
  add(front, "using 1:2 with points lt 2 pt 6 ps 2.2 notitle");

  std::string& b = plot.body;
  b += Title(what, a);
  b += "set xlabel " + GnuplotQuote("peak memory in use (" + unit.name + ")") + "\n";
  b += "set ylabel " + GnuplotQuote(y_label) + "\n";
  b += "set xrange [" + Num(x_min) + ":" + Num(x_max) + "]\n";
  b += "set yrange [" + Num(y_min) + ":" + Num(y_max) + "]\n";
  b += "set lmargin at screen " + Num(kAreaLeft) + "\nset rmargin at screen " + Num(kAreaRight) +
       "\nset bmargin at screen " + Num(kAreaBottom) + "\nset tmargin at screen " + Num(kAreaTop) +
       "\n";
  b += "set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 1\n";
  if (hidden > 0) {
    b += "set label " +
         GnuplotQuote(std::to_string(hidden) +
                      " crowded label(s) left out; the tables list every trial") +
         " at screen " + Num(kAreaLeft) + ", screen 0.915 left font ',9' tc rgb '#505050'\n";
  }
  if (profile != nullptr) {
    const std::string x = Num(static_cast<double>(profile->memory_bytes) / unit.bytes);
    b += "set arrow from " + x + ", graph 0 to " + x +
         ", graph 1 nohead dt 2 lw 2 lc rgb '#d62728'\n";
    // The name only: the key is one row under the plot, and the axis gives the memory.
    clauses.push_back("NaN with lines dt 2 lw 2 lc rgb '#d62728' title " +
                      GnuplotQuote(profile->name));
  }
  b += "plot ";
  for (size_t i = 0; i < clauses.size(); ++i) b += (i ? ", \\\n     " : "") + clauses[i];
  b += "\n";
  return plot;
}

}  // namespace

std::string VaryingLabel(const SweepAnalysis& a, size_t trial,
                         const std::vector<std::string>& skip) {
  std::string label;
  for (const auto& key : a.varying) {
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    label += (label.empty() ? "" : ", ") + LastPart(key) + "=" + Param(a.trials[trial], key);
  }
  return label;
}

std::string ShortLabel(const SweepAnalysis& a, size_t trial) {
  const std::string label = VaryingLabel(a, trial, {});
  return label.empty() ? a.trials[trial].name : label;
}

std::vector<std::string> NumericVaryingKeys(const SweepAnalysis& a) {
  std::vector<std::string> keys;
  for (const auto& key : a.varying) {
    const bool numeric = std::all_of(a.trials.begin(), a.trials.end(), [&](const auto& t) {
      return Param(t, key).empty() || NumericParam(t, key).has_value();
    });
    if (numeric) keys.push_back(key);
  }
  return keys;
}

PlotFile MemoryByKeyPlot(const SweepAnalysis& a, const std::string& key) {
  const auto* profile = SharedProfile(a);
  double largest = profile != nullptr ? static_cast<double>(profile->memory_bytes) : 0.0;
  for (const auto& f : a.figures) largest = std::max(largest, f.total_bytes.value_or(0.0));
  const MemoryUnit unit = UnitFor(largest);

  // Finished trials grouped by the other varying parameters, in order of first appearance.
  std::vector<std::string> group_order;
  std::map<std::string, std::vector<std::pair<double, double>>> groups;
  std::vector<std::pair<double, double>> oom;
  std::set<double> xs;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto x = NumericParam(a.trials[i], key);
    if (!x) continue;
    const auto total = a.figures[i].total_bytes;
    if (total) {
      const std::string group = VaryingLabel(a, i, {key});
      if (!groups.count(group)) group_order.push_back(group);
      groups[group].push_back({*x, *total / unit.bytes});
      xs.insert(*x);
    } else if (a.trials[i].status == protocol::TrialStatus::kOom) {
      const auto at = profile != nullptr
                          ? std::optional<double>(profile->memory_bytes)
                          : Result(a.trials[i], protocol::result::kOomDeviceUsedBytes);
      if (at) oom.push_back({*x, *at / unit.bytes});
      if (at) xs.insert(*x);
    }
  }
  const bool one_group = group_order.size() == 1 && group_order[0].empty();

  PlotFile plot{"memory-by-" + key, "Peak memory by " + key, "", ""};
  const std::string file = GnuplotQuote(plot.stem + ".dat");
  std::vector<std::string> clauses;
  int block = 0;
  for (const auto& group : group_order) {
    auto& points = groups[group];
    std::sort(points.begin(), points.end());
    for (const auto& [x, y] : points) plot.data += Num(x) + " " + Num(y) + "\n";
    plot.data += "\n\n";
    clauses.push_back(file + " index " + std::to_string(block++) +
                      " using 1:2 with linespoints ps 1.2 title " +
                      GnuplotQuote(one_group ? "finished trials" : group));
  }
  if (!oom.empty()) {
    for (const auto& [x, y] : oom) plot.data += Num(x) + " " + Num(y) + "\n";
    plot.data += "\n\n";
    clauses.push_back(file + " index " + std::to_string(block++) +
                      " using 1:2 with points pt 2 ps 2.2 lw 2 lc rgb '#d62728' title " +
                      GnuplotQuote(profile != nullptr ? "out of memory (drawn at the budget)"
                                                      : "out of memory (memory when it failed)"));
  }
  if (profile != nullptr) {
    clauses.push_back(Num(static_cast<double>(profile->memory_bytes) / unit.bytes) +
                      " with lines dt 2 lw 2 lc rgb '#d62728' title " +
                      GnuplotQuote(ProfileTitle(*profile)));
  }
  std::string& b = plot.body;
  b += Title("Peak memory by " + key, a);
  b += "set xlabel " + GnuplotQuote(key) + "\n";
  b += "set ylabel " + GnuplotQuote("peak memory in use (" + unit.name + ")") + "\n";
  // From zero, so differences and the distance to the budget read true; the lower part of the
  // plot is then free for the key.
  b += "set yrange [0:*]\nset offsets graph 0.04, graph 0.04, graph 0.08, 0\n";
  b += "set key inside bottom right\n";
  const std::vector<double> values(xs.begin(), xs.end());
  if (!values.empty() && values.front() > 0 && values.back() / values.front() >= 8) {
    b += "set logscale x 2\n";
  }
  if (!values.empty() && values.size() <= 12) b += XticsAt(values);
  if (clauses.empty()) clauses.push_back("NaN notitle");
  b += "plot ";
  for (size_t i = 0; i < clauses.size(); ++i) b += (i ? ", \\\n     " : "") + clauses[i];
  b += "\n";
  return plot;
}

std::optional<PlotFile> MemoryQualityPlot(const SweepAnalysis& a) {
  if (a.yardstick) {
    return ScatterPlot(
        a, "memory-vs-quality", "Quality vs peak memory",
        "quality score (1 = reference " + a.yardstick->reference + ")",
        [&a](size_t i) { return a.figures[i].quality; },
        [&a](size_t i) { return a.figures[i].pareto_quality; }, false);
  }
  return ScatterPlot(
      a, "memory-vs-quality", "Eval loss vs peak memory", "eval loss (nats/token, lower is better)",
      [&a](size_t i) { return a.figures[i].eval_loss; },
      [&a](size_t i) { return a.figures[i].pareto_quality; }, false);
}

std::optional<PlotFile> SpeedMemoryPlot(const SweepAnalysis& a) {
  return ScatterPlot(
      a, "tokens-per-s-vs-memory", "Training speed vs peak memory", "tokens/s",
      [&a](size_t i) { return a.figures[i].tokens_per_s; },
      [&a](size_t i) { return a.figures[i].pareto_speed; }, /*non_negative=*/true);
}

}  // namespace qlsweep::analysis
