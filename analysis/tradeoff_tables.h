// The trade-off tables of `qlsweep table --by KEY`, rebuilt from measured trials.
#pragma once

#include <string>
#include <vector>

#include "analysis/sweep_analysis.h"
#include "analysis/text_table.h"

namespace qlsweep::analysis {

// Which layout a --by key selects (docs/analysis.md lists each layout's columns).
enum class TradeoffLayout {
  kSeqLen,   // data.seq_len, seq_len: activation memory, total, fits?, tokens/s
  kRank,     // lora.r, rank: trainable parameters, total, fits?, eval loss, quality
  kBatch,    // train.micro_batch, train.grad_accum, batch: effective batch, time per batch
  kQuality,  // quality, memory: memory vs quality, rows by total memory
  kGeneric,  // any other key: memory, fits?, tokens/s, eval loss, quality
};

struct TradeoffKey {
  TradeoffLayout layout;
  std::string key;  // the dotted config key the rows are ordered by (empty for kQuality)
};

// Maps the text of --by to its layout; an unknown key is a generic table of that key.
TradeoffKey ParseTradeoffKey(const std::string& by);

// One row per trial, trials that ended oom or failed included; every table ends with the
// trial's Pareto memberships. A generic key that no trial has is std::invalid_argument.
TextTable TradeoffTable(const SweepAnalysis& sweep, const TradeoffKey& by);

// The --by keys whose tables say something about this sweep: one per varying parameter (the
// batch layout once for micro-batch and accumulation), then "quality" when any trial has an
// eval loss.
std::vector<TradeoffKey> TradeoffKeysFor(const SweepAnalysis& sweep);

// The members of one Pareto front, by total memory: trial, total, then eval loss and quality
// (`quality_front`) or tokens/s.
TextTable ParetoTable(const SweepAnalysis& sweep, bool quality_front);

// A heading for the table: "Memory by data.seq_len", "Memory vs quality", ...
std::string TradeoffTitle(const TradeoffKey& by);

}  // namespace qlsweep::analysis
