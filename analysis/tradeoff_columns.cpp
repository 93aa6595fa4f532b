// Cell formatting of the trade-off columns: units, fit verdicts, Pareto labels.
#include "analysis/tradeoff_columns.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "analysis/memory_units.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

// A column of one optional figure printed with `fmt`.
Column FigureColumn(const SweepAnalysis& a, const std::string& header, const char* fmt,
                    std::optional<double> TrialFigures::*figure) {
  return {header,
          [&a, fmt, figure](size_t i) { return FormatOptional(fmt, a.figures[i].*figure); }};
}

}  // namespace

std::string FormatOptional(const char* fmt, const std::optional<double>& value) {
  if (!value) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, *value);
  return buf;
}

std::vector<Column> LeadingColumns(const SweepAnalysis& a, const std::vector<std::string>& keys) {
  std::vector<Column> columns = {{"trial", [&a](size_t i) { return a.trials[i].name; }},
                                 {"status", [&a](size_t i) { return StatusLabel(a.trials[i]); }}};
  for (const auto& key : keys) {
    columns.push_back({key, [&a, key](size_t i) {
                         const std::string v = Param(a.trials[i], key);
                         return v.empty() ? std::string("-") : v;
                       }});
  }
  return columns;
}

Column MemoryColumn(const SweepAnalysis& a, const std::string& label,
                    std::function<std::optional<double>(const TrialFigures&)> bytes) {
  double largest = 0;
  for (const auto& f : a.figures) largest = std::max(largest, bytes(f).value_or(0.0));
  const MemoryUnit unit = UnitFor(largest);
  return {label + " " + unit.name, [&a, bytes, unit](size_t i) {
            const auto b = bytes(a.figures[i]);
            return b ? InUnit(*b, unit) : std::string("-");
          }};
}

Column TotalColumn(const SweepAnalysis& a) {
  return MemoryColumn(a, "total", [](const TrialFigures& f) { return f.total_bytes; });
}

std::vector<Column> FitsColumns(const SweepAnalysis& a) {
  std::set<std::string> profiles;
  for (const auto& f : a.figures) {
    if (f.profile != nullptr) profiles.insert(f.profile->name);
  }
  if (profiles.empty()) return {};
  if (profiles.size() == 1) {
    return {{"fits " + *profiles.begin() + "?", [&a](size_t i) { return a.figures[i].fits; }}};
  }
  return {{"fits?", [&a](size_t i) {
             const auto& f = a.figures[i];
             return f.profile == nullptr ? f.fits : f.fits + " " + f.profile->name;
           }}};
}

Column TrainableColumn(const SweepAnalysis& a) {
  return {"trainable params", [&a](size_t i) {
            const auto n = Result(a.trials[i], protocol::result::kTrainableParams);
            return n ? GroupedInteger(*n) : std::string("-");
          }};
}

Column SpeedColumn(const SweepAnalysis& a) {
  return FigureColumn(a, "tokens/s", "%.1f", &TrialFigures::tokens_per_s);
}
Column EvalLossColumn(const SweepAnalysis& a) {
  return FigureColumn(a, "eval loss", "%.4f", &TrialFigures::eval_loss);
}
Column PerplexityColumn(const SweepAnalysis& a) {
  return FigureColumn(a, "perplexity", "%.2f", &TrialFigures::perplexity);  // literal-ok: header
}
Column QualityColumn(const SweepAnalysis& a) {
  return FigureColumn(a, "quality", "%.3f", &TrialFigures::quality);
}
Column ParetoColumn(const SweepAnalysis& a) {
  return {"pareto", [&a](size_t i) { return ParetoLabel(a.figures[i]); }};
}

std::vector<Column> WithSpread(const SweepAnalysis& a, std::vector<Column> columns) {
  if (a.spread.empty()) return columns;
  using Spread = std::optional<double> FigureSpread::*;
  const auto sd_column = [&a](const std::string& header, Spread sd, const char* fmt,
                              double scale) -> Column {
    return {header + " sd", [&a, sd, fmt, scale](size_t i) {
              const auto v = a.spread[i].*sd;
              return FormatOptional(fmt, v ? std::optional<double>(*v / scale) : std::nullopt);
            }};
  };
  std::vector<Column> out;
  for (auto& column : columns) {
    const std::string header = column.header;
    out.push_back(std::move(column));
    if (header == "status") {
      out.push_back({"seeds", [&a](size_t i) {
                       return std::to_string(a.spread[i].done) + "/" +
                              std::to_string(a.spread[i].runs);
                     }});
    } else if (header == "total GiB" || header == "total MiB") {
      const double scale = header.ends_with("GiB") ? 1024.0 * 1024.0 * 1024.0 : 1024.0 * 1024.0;
      out.push_back(sd_column(header, &FigureSpread::total_bytes,
                              header.ends_with("GiB") ? "%.3f" : "%.1f", scale));
    } else if (header == "tokens/s") {
      out.push_back(sd_column(header, &FigureSpread::tokens_per_s, "%.1f", 1));
    } else if (header == "eval loss") {
      out.push_back(sd_column(header, &FigureSpread::eval_loss, "%.4f", 1));
    } else if (header == "quality") {
      out.push_back(sd_column(header, &FigureSpread::quality, "%.3f", 1));
    }
  }
  return out;
}

TextTable BuildTable(const std::vector<Column>& columns, const std::vector<size_t>& order) {
  TextTable table;
  for (const auto& c : columns) table.headers.push_back(c.header);
  for (size_t i : order) {
    std::vector<std::string> row;
    for (const auto& c : columns) row.push_back(c.cell(i));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace qlsweep::analysis
