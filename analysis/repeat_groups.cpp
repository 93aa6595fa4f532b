// Folding seeds into configurations: means, sample standard deviations, noise notes.
#include "analysis/repeat_groups.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "analysis/memory_fit.h"
#include "analysis/quality_score.h"
#include "analysis/sweep_analysis.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {
namespace {

constexpr const char* kSeedKey = "train.seed";
constexpr double kNoisyShare = 0.05;  // tokens/s spread above this share of the mean is flagged

using Figure = std::optional<double> TrialFigures::*;
using Spread = std::optional<double> FigureSpread::*;

struct Moments {
  std::optional<double> mean, sd;
};

Moments MomentsOf(const std::vector<double>& values) {
  Moments m;
  if (values.empty()) return m;
  double sum = 0;
  for (double v : values) sum += v;
  m.mean = sum / static_cast<double>(values.size());
  if (values.size() < 2) return m;
  double squares = 0;
  for (double v : values) squares += (v - *m.mean) * (v - *m.mean);
  m.sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return m;
}

// Means over the reference configuration's finished seeds; nullopt (with `why`) when unusable.
std::optional<QualityYardstick> GroupYardstick(const std::vector<const storage::TrialRow*>& members,
                                               const std::string& name, std::string* why) {
  std::vector<double> bases, losses;
  for (const auto* t : members) {
    if (t->status != protocol::TrialStatus::kDone) continue;
    const auto base = Result(*t, protocol::result::kBaseEvalLoss);
    const auto loss = Result(*t, protocol::result::kFinalEvalLoss);
    if (base && loss) bases.push_back(*base), losses.push_back(*loss);
  }
  if (bases.empty()) {
    *why = "no seed of reference '" + name + "' finished with eval losses";
    return std::nullopt;
  }
  const double base = *MomentsOf(bases).mean, loss = *MomentsOf(losses).mean;
  if (base - loss <= 0) {
    *why = "reference '" + name + "' did not improve on the base model";
    return std::nullopt;
  }
  return QualityYardstick{name, base, loss};
}

std::string Format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

}  // namespace

int SweepRepeat(const storage::SweepRecord& sweep) {
  const auto spec = nlohmann::json::parse(sweep.spec_json, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object() || !spec.contains("repeat") || !spec["repeat"].is_number_integer()) {
    return 1;
  }
  return spec["repeat"].get<int>();
}

std::string ConfigurationName(const std::string& trial_name) {
  static const std::regex kSeedSuffix("(^|,)train\\.seed=[0-9]+$");
  const std::string name = std::regex_replace(trial_name, kSeedSuffix, "");
  return name.empty() ? "base" : name;
}

void FoldRepeats(SweepAnalysis& a) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto name = ConfigurationName(a.trials[i].name);
    if (groups.count(name) == 0) order.push_back(name);
    groups[name].push_back(i);
  }
  if (!a.sweep.reference.empty()) {
    const auto reference = ConfigurationName(a.sweep.reference);
    std::vector<const storage::TrialRow*> members;
    for (size_t i : groups[reference]) members.push_back(&a.trials[i]);
    a.no_quality_reason.clear();
    a.yardstick = GroupYardstick(members, reference, &a.no_quality_reason);
    for (size_t i = 0; i < a.trials.size(); ++i) {
      a.figures[i].quality =
          a.yardstick ? QualityScore(a.trials[i], *a.yardstick) : std::optional<double>();
    }
  }
  const std::vector<std::pair<Figure, Spread>> figures = {
      {&TrialFigures::total_bytes, &FigureSpread::total_bytes},
      {&TrialFigures::activation_bytes, &FigureSpread::activation_bytes},
      {&TrialFigures::tokens_per_s, &FigureSpread::tokens_per_s},
      {&TrialFigures::eval_loss, &FigureSpread::eval_loss},
      {&TrialFigures::perplexity, &FigureSpread::perplexity},
      {&TrialFigures::quality, &FigureSpread::quality}};
  std::vector<storage::TrialRow> rows;
  std::vector<TrialFigures> means;
  std::vector<FigureSpread> spreads;
  for (const auto& name : order) {
    const auto& members = groups[name];
    storage::TrialRow row = a.trials[members.front()];
    row.name = name;
    row.params.erase(kSeedKey);
    FigureSpread spread;
    spread.runs = static_cast<int>(members.size());
    double worst_total = -1;
    for (size_t i : members) {
      const auto& t = a.trials[i];
      if (t.status == protocol::TrialStatus::kDone) {
        ++spread.done;
        worst_total = std::max(worst_total, a.figures[i].total_bytes.value_or(-1));
      } else if (row.status == protocol::TrialStatus::kDone) {
        row.status = t.status;  // not all seeds finished: show how one ended
        row.oom_phase = t.oom_phase;
        row.error = t.error;
      }
    }
    TrialFigures mean = a.figures[members.front()];
    for (const auto& [figure, sd] : figures) {
      std::vector<double> values;
      for (size_t i : members) {
        if (a.trials[i].status == protocol::TrialStatus::kDone && (a.figures[i].*figure)) {
          values.push_back(*(a.figures[i].*figure));
        }
      }
      const auto m = MomentsOf(values);
      mean.*figure = m.mean;
      spread.*sd = m.sd;
    }
    if (worst_total >= 0 && row.status == protocol::TrialStatus::kDone) {
      row.results[std::string(protocol::result::kDevicePeakBytes)] = worst_total;
    }
    mean.fits = FitVerdict(row, mean.profile);
    rows.push_back(std::move(row));
    means.push_back(std::move(mean));
    spreads.push_back(spread);
  }
  a.seed_trials = std::move(a.trials);
  a.trials = std::move(rows);
  a.figures = std::move(means);
  a.spread = std::move(spreads);
}

std::vector<std::string> NoiseNotes(const SweepAnalysis& a, const TextTable& table) {
  std::vector<std::string> notes;
  if (a.spread.empty() || table.headers.empty() || table.headers[0] != "trial") return notes;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < a.trials.size(); ++i) index[a.trials[i].name] = i;
  std::vector<size_t> rows;
  for (const auto& row : table.rows) {
    if (auto it = index.find(row[0]); it != index.end()) rows.push_back(it->second);
  }
  struct Checked {
    const char* label;
    Figure figure;
    Spread sd;
    const char* fmt;
  };
  const Checked checked[] = {
      {"eval loss", &TrialFigures::eval_loss, &FigureSpread::eval_loss, "%.4f"},
      {"tokens/s", &TrialFigures::tokens_per_s, &FigureSpread::tokens_per_s, "%.1f"}};
  for (size_t k = 1; k < rows.size(); ++k) {
    const size_t x = rows[k - 1], y = rows[k];
    for (const auto& c : checked) {
      const auto mx = a.figures[x].*c.figure, my = a.figures[y].*c.figure;
      const auto sx = a.spread[x].*c.sd, sy = a.spread[y].*c.sd;
      if (!mx || !my || !sx || !sy) continue;
      const double se = std::sqrt(*sx * *sx / a.spread[x].done + *sy * *sy / a.spread[y].done);
      const double diff = std::fabs(*mx - *my);
      if (diff >= 2 * se) continue;
      notes.push_back(std::string(c.label) + ": " + a.trials[x].name + " (" + Format(c.fmt, *mx) +
                      " ± " + Format(c.fmt, *sx) + ") and " + a.trials[y].name + " (" +
                      Format(c.fmt, *my) + " ± " + Format(c.fmt, *sy) + ") differ by " +
                      Format(c.fmt, diff) +
                      ", within the noise (2 standard errors: " + Format(c.fmt, 2 * se) + ")");
    }
  }
  for (size_t i : rows) {
    const auto mean = a.figures[i].tokens_per_s;
    const auto sd = a.spread[i].tokens_per_s;
    if (!mean || !sd || *mean <= 0 || *sd / *mean <= kNoisyShare) continue;
    notes.push_back("tokens/s: " + a.trials[i].name + " varies by " +
                    Format("%.0f", 100 * *sd / *mean) + "% over its " +
                    std::to_string(a.spread[i].done) +
                    " seeds (the machine was busy?): speed differences below that are noise");
  }
  return notes;
}

}  // namespace qlsweep::analysis
