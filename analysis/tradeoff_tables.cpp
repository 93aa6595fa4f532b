// Trade-off layouts: which columns each --by key shows, and the order of its rows.
#include "analysis/tradeoff_tables.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/tradeoff_columns.h"
#include "analysis/trial_values.h"

namespace qlsweep::analysis {
namespace {

constexpr const char* kMicroBatch = "train.micro_batch";
constexpr const char* kGradAccum = "train.grad_accum";

// `first` (those the layout is about), then every other varying parameter not in `skip`.
std::vector<std::string> KeyOrder(const SweepAnalysis& a, const std::vector<std::string>& first,
                                  const std::vector<std::string>& skip = {}) {
  std::vector<std::string> keys = first;
  for (const auto& k : a.varying) {
    const bool listed = std::find(keys.begin(), keys.end(), k) != keys.end() ||
                        std::find(skip.begin(), skip.end(), k) != skip.end();
    if (!listed) keys.push_back(k);
  }
  return keys;
}

// Trial indices ordered by the parameters of `keys` in turn (planning order among equals).
std::vector<size_t> OrderByParams(const SweepAnalysis& a, const std::vector<std::string>& keys) {
  std::vector<size_t> order(a.trials.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    for (const auto& key : keys) {
      const int c = CompareParamValues(Param(a.trials[x], key), Param(a.trials[y], key));
      if (c != 0) return c < 0;
    }
    return false;
  });
  return order;
}

// Seconds per effective batch (one optimizer step): micro-batch x accumulation x seq_len tokens
// at the measured tokens/s.
std::optional<double> SecondsPerBatch(const SweepAnalysis& a, size_t i) {
  const auto mb = NumericParam(a.trials[i], kMicroBatch);
  const auto ga = NumericParam(a.trials[i], kGradAccum);
  const auto seq = NumericParam(a.trials[i], "data.seq_len");
  const auto tps = a.figures[i].tokens_per_s;
  if (!mb || !ga || !seq || !tps || *tps <= 0) return std::nullopt;
  return *mb * *ga * *seq / *tps;
}

std::vector<Column> BatchColumns(const SweepAnalysis& a) {
  double fastest = 0;
  for (size_t i = 0; i < a.trials.size(); ++i) {
    const auto s = SecondsPerBatch(a, i);
    if (s && (fastest == 0 || *s < fastest)) fastest = *s;
  }
  std::vector<Column> columns = {
      {"micro-batch x accumulation",
       [&a](size_t i) {
         return Param(a.trials[i], kMicroBatch) + " x " + Param(a.trials[i], kGradAccum);
       }},
      {"effective batch",
       [&a](size_t i) {
         const auto mb = NumericParam(a.trials[i], kMicroBatch);
         const auto ga = NumericParam(a.trials[i], kGradAccum);
         return mb && ga ? FormatOptional("%.0f", *mb * *ga) : std::string("-");
       }},
      TotalColumn(a)};
  for (auto& c : FitsColumns(a)) columns.push_back(std::move(c));
  columns.push_back(SpeedColumn(a));
  columns.push_back({"s per effective batch",
                     [&a](size_t i) { return FormatOptional("%.3f", SecondsPerBatch(a, i)); }});
  columns.push_back({"time vs fastest", [&a, fastest](size_t i) {
                       const auto s = SecondsPerBatch(a, i);
                       if (!s || fastest <= 0) return std::string("-");
                       return FormatOptional("%.2fx", *s / fastest);
                     }});
  return columns;
}

// The layout's columns after the leading ones (trial, status, parameters).
std::vector<Column> BodyColumns(const SweepAnalysis& a, const TradeoffKey& by) {
  if (by.layout == TradeoffLayout::kBatch) {
    auto columns = BatchColumns(a);
    columns.push_back(ParetoColumn(a));
    return columns;
  }
  std::vector<Column> columns;
  if (by.layout == TradeoffLayout::kSeqLen) {
    columns.push_back(MemoryColumn(a, "activation memory",
                                   [](const TrialFigures& f) { return f.activation_bytes; }));
  }
  if (by.layout == TradeoffLayout::kRank) columns.push_back(TrainableColumn(a));
  columns.push_back(TotalColumn(a));
  for (auto& c : FitsColumns(a)) columns.push_back(std::move(c));
  if (by.layout != TradeoffLayout::kQuality) columns.push_back(SpeedColumn(a));
  if (by.layout != TradeoffLayout::kSeqLen) {
    columns.push_back(EvalLossColumn(a));
    if (by.layout == TradeoffLayout::kQuality) columns.push_back(PerplexityColumn(a));
    columns.push_back(QualityColumn(a));
  }
  columns.push_back(ParetoColumn(a));
  return columns;
}

// Trials by total memory, those without a measurement last.
std::vector<size_t> OrderByMemory(const SweepAnalysis& a) {
  std::vector<size_t> order = OrderByParams(a, a.varying);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const auto mx = a.figures[x].total_bytes, my = a.figures[y].total_bytes;
    if (mx && my) return *mx < *my;
    return mx.has_value() && !my.has_value();
  });
  return order;
}

bool AnyTrialHas(const SweepAnalysis& a, const std::string& key) {
  return std::any_of(a.trials.begin(), a.trials.end(),
                     [&](const auto& t) { return t.params.count(key) > 0; });
}

}  // namespace

TradeoffKey ParseTradeoffKey(const std::string& by) {
  if (by == "data.seq_len" || by == "seq_len") return {TradeoffLayout::kSeqLen, "data.seq_len"};
  if (by == "lora.r" || by == "rank") return {TradeoffLayout::kRank, "lora.r"};
  if (by == kMicroBatch || by == kGradAccum || by == "batch" || by == "micro_batch") {
    return {TradeoffLayout::kBatch, kMicroBatch};
  }
  if (by == "quality" || by == "memory") return {TradeoffLayout::kQuality, ""};
  return {TradeoffLayout::kGeneric, by};
}

TextTable TradeoffTable(const SweepAnalysis& a, const TradeoffKey& by) {
  if (by.layout == TradeoffLayout::kGeneric && !AnyTrialHas(a, by.key)) {
    std::string known;
    for (const auto& k : a.varying) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("no trial of sweep '" + a.sweep.name + "' has parameter '" +
                                by.key + "' (varying: " + (known.empty() ? "none" : known) + ")");
  }
  std::vector<std::string> keys;
  std::vector<size_t> order;
  if (by.layout == TradeoffLayout::kBatch) {
    keys = KeyOrder(a, {}, {kMicroBatch, kGradAccum});
    std::vector<std::string> sort_keys = {kMicroBatch, kGradAccum};
    sort_keys.insert(sort_keys.end(), keys.begin(), keys.end());
    order = OrderByParams(a, sort_keys);
  } else if (by.layout == TradeoffLayout::kQuality) {
    keys = KeyOrder(a, {});
    order = OrderByMemory(a);
  } else {
    keys = KeyOrder(a, {by.key});
    order = OrderByParams(a, keys);
  }
  auto columns = LeadingColumns(a, keys);
  for (auto& c : BodyColumns(a, by)) columns.push_back(std::move(c));
  return BuildTable(WithSpread(a, std::move(columns)), order);
}

std::vector<TradeoffKey> TradeoffKeysFor(const SweepAnalysis& a) {
  std::vector<TradeoffKey> keys;
  bool batch_added = false;
  for (const auto& k : a.varying) {
    const auto key = ParseTradeoffKey(k);
    if (key.layout == TradeoffLayout::kBatch) {
      if (batch_added) continue;
      batch_added = true;
    }
    keys.push_back(key);
  }
  const bool any_loss =
      std::any_of(a.figures.begin(), a.figures.end(), [](const auto& f) { return f.eval_loss; });
  if (any_loss) keys.push_back({TradeoffLayout::kQuality, ""});
  return keys;
}

TextTable ParetoTable(const SweepAnalysis& a, bool quality_front) {
  std::vector<size_t> members;
  for (size_t i : OrderByMemory(a)) {
    const auto& f = a.figures[i];
    if (quality_front ? f.pareto_quality : f.pareto_speed) members.push_back(i);
  }
  auto columns = LeadingColumns(a, KeyOrder(a, {}));
  columns.push_back(TotalColumn(a));
  if (quality_front) {
    columns.push_back(EvalLossColumn(a));
    columns.push_back(QualityColumn(a));
  } else {
    columns.push_back(SpeedColumn(a));
  }
  return BuildTable(WithSpread(a, std::move(columns)), members);
}

std::string TradeoffTitle(const TradeoffKey& by) {
  switch (by.layout) {
    case TradeoffLayout::kSeqLen:
      return "Memory by sequence length (data.seq_len)";
    case TradeoffLayout::kRank:
      return "Memory and quality by LoRA rank (lora.r)";
    case TradeoffLayout::kBatch:
      return "Micro-batch x gradient accumulation";
    case TradeoffLayout::kQuality:
      return "Memory vs quality";
    case TradeoffLayout::kGeneric:
      return "By " + by.key;
  }
  return by.key;
}

}  // namespace qlsweep::analysis
