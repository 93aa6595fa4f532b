// Data and gnuplot commands of the memory plots; units follow the largest value shown.
#include "analysis/memory_plots.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "analysis/gnuplot_script.h"
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

// A scatter of (total memory, `metric`) for finished trials, the front drawn as a staircase.
std::optional<PlotFile> ScatterPlot(const SweepAnalysis& a, const std::string& stem,
                                    const std::string& what, const std::string& y_label,
                                    const std::function<std::optional<double>(size_t)>& metric,
                                    const std::function<bool(size_t)>& on_front) {
  std::vector<ScatterPoint> points;
  double largest = 0;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto total = a.figures[i].total_bytes;
    const auto y = metric(i);
    if (!total || !y) continue;
    points.push_back({*total, *y, ShortLabel(a, i), on_front(i)});
    largest = std::max(largest, *total);
  }
  if (points.empty()) return std::nullopt;
  const auto* profile = SharedProfile(a);
  const bool show_profile =
      profile != nullptr && static_cast<double>(profile->memory_bytes) <= 1.5 * largest;
  if (show_profile) largest = std::max(largest, static_cast<double>(profile->memory_bytes));
  const MemoryUnit unit = UnitFor(largest);

  // By memory; column 4 alternates 0/1 so that labels of neighbours go above / below their point.
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& l, const auto& r) { return l.x < r.x; });
  PlotFile plot{stem, what, "", ""};
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    plot.data += Num(p.x / unit.bytes) + " " + Num(p.y) + " " + DataFieldQuote(p.label) + " " +
                 std::to_string(i % 2) + "\n";
  }
  plot.data += "\n\n";
  for (const auto& p : points) {
    if (p.on_front) plot.data += Num(p.x / unit.bytes) + " " + Num(p.y) + "\n";
  }
  std::string& b = plot.body;
  b += Title(what, a);
  b += "set xlabel " + GnuplotQuote("peak memory in use (" + unit.name + ")") + "\n";
  b += "set ylabel " + GnuplotQuote(y_label) + "\n";
  b += "set offsets graph 0.03, graph 0.22, graph 0.08, graph 0.05\n";  // room for the labels
  // At the foot of the image, leaving the plot's full width to the points and their labels.
  b += "set bmargin 5\nset key at screen 0.5, screen 0.015 center bottom horizontal\n";
  if (show_profile) {
    const std::string x = Num(static_cast<double>(profile->memory_bytes) / unit.bytes);
    b += "set xrange [*:" + Num(largest / unit.bytes * 1.04) + "]\n";
    b += "set arrow from " + x + ", graph 0 to " + x +
         ", graph 1 nohead dt 2 lw 2 lc rgb '#d62728'\n";
    b += "set label " + GnuplotQuote(ProfileTitle(*profile)) + " at " + x +
         ", graph 0.96 right offset char -0.6, 0 tc rgb '#d62728'\n";
  }
  const std::string file = GnuplotQuote(stem + ".dat");
  b += "plot " + file + " index 0 using 1:2 with points lt 1 ps 1.4 title 'trial', \\\n";
  for (const char* side : {"0 ? $2 : NaN):3 with labels offset char 0.8, 0.7",
                           "1 ? $2 : NaN):3 with labels offset char 0.8, -0.7"}) {
    b += std::string("     '' index 0 using 1:($4 == ") + side +
         " left font ',9' tc rgb '#505050' notitle, \\\n";
  }
  b += "     '' index 1 using 1:2 with steps lt 2 title 'Pareto front', \\\n";
  b += "     '' index 1 using 1:2 with points lt 2 pt 6 ps 2.2 notitle\n";
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
  if (profile != nullptr) {
    // From zero, so the distance to the budget reads true; the lower part is free for the key.
    b += "set yrange [0:*]\nset offsets graph 0.04, graph 0.04, graph 0.08, 0\n";
    b += "set key inside bottom right\n";
  } else {
    b += "set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.04\n";
  }
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
        [&a](size_t i) { return a.figures[i].pareto_quality; });
  }
  return ScatterPlot(
      a, "memory-vs-quality", "Eval loss vs peak memory", "eval loss (nats/token, lower is better)",
      [&a](size_t i) { return a.figures[i].eval_loss; },
      [&a](size_t i) { return a.figures[i].pareto_quality; });
}

std::optional<PlotFile> SpeedMemoryPlot(const SweepAnalysis& a) {
  return ScatterPlot(
      a, "tokens-per-s-vs-memory", "Training speed vs peak memory", "tokens/s",
      [&a](size_t i) { return a.figures[i].tokens_per_s; },
      [&a](size_t i) { return a.figures[i].pareto_speed; });
}

}  // namespace qlsweep::analysis
