// The seed report's numbers: what "Memory Optimization Report for RTX 4050 (6GB VRAM)" claims.
// Source: ../shared/REFERENCE.md, section "The seed report" (a summary of the report users bring;
// Llama-2-7B, NF4 + double quant, LoRA r=16 on q,k,v,o,gate,up,down, alpha 32, dropout 0.05,
// checkpointing, micro-batch 1 x accumulation 16, bf16, paged_adamw_8bit, seq 2048). Its "GB" are
// read as GiB (2^30 bytes): its "6 GB" card has 6,141 MiB. Quality is in % of full fine-tuning.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace qlsweep::analysis::seed {

// Memory budget, one row per component: without -> with the optimisations (GB).
struct BudgetRow {
  std::string_view component;
  std::optional<double> without_gb;  // nullopt where the seed gives one figure for both
  double with_gb;
};
inline constexpr std::array<BudgetRow, 7> kBudget = {{
    {"weights", 14.0, 3.5},
    {"LoRA adapters", std::nullopt, 0.05},
    {"optimizer states", 0.5, 0.1},
    {"gradients", std::nullopt, 0.05},
    {"activations", 5.0, 1.5},
    {"cache/buffers", 0.5, 0.3},
    {"total", 20.1, 5.5},
}};

// Sequence length -> activation memory, total (GB), fits 6 GB? (2048: "8% margin").
struct SeqLenRow {
  int seq_len;
  double activation_gb, total_gb;
  bool fits;
};
inline constexpr std::array<SeqLenRow, 5> kSeqLen = {{
    {512, 0.5, 4.5, true},
    {1024, 1.0, 5.0, true},
    {2048, 1.5, 5.5, true},
    {4096, 3.0, 7.0, false},
    {8192, 6.0, 10.0, false},
}};

// LoRA rank -> trainable parameters, total (GB), fits?, quality range (% of full fine-tuning).
struct RankRow {
  int r;
  double trainable;
  double total_gb;
  bool fits;
  double quality_lo, quality_hi;  // "~100%" is 97.5..102.5; one number X is X +- 2.5
};
inline constexpr std::array<RankRow, 5> kRank = {{
    {4, 12e6, 4.8, true, 85, 90},
    {8, 25e6, 5.0, true, 92, 95},
    {16, 50e6, 5.5, true, 95, 99},
    {32, 100e6, 6.5, false, 98, 99},
    {64, 200e6, 8.5, false, 97.5, 102.5},
}};

// Micro-batch x accumulation -> memory (GB), time (% of 1x32's).
struct BatchRow {
  int micro_batch, grad_accum;
  double memory_gb;
  double time_pct;
};
inline constexpr std::array<BatchRow, 5> kBatch = {{
    {1, 32, 4.8, 100},
    {1, 16, 5.5, 100},
    {1, 8, 5.5, 100},
    {2, 8, 7.0, 85},
    {4, 4, 10.0, 70},
}};

// Speed on the 4050 at micro-batch 1 x accumulation 16, 10K samples per epoch.
struct SpeedRow {
  int r, seq_len;
  double steps_per_s;
  double min_per_epoch;
  std::optional<double> min_3_epochs;
};
inline constexpr std::array<SpeedRow, 2> kSpeed = {{
    {16, 2048, 0.8, 35, 105},
    {8, 1024, 1.2, 23, std::nullopt},
}};
inline constexpr int kSpeedMicroBatch = 1, kSpeedGradAccum = 16;
inline constexpr int kEpochSamples = 10000;

// Memory vs quality: memory (GB), its two undefined metrics, quality (% of full fine-tuning).
struct MemoryQualityRow {
  int r, seq_len;
  double memory_gb;
  double causal_stability, spurious_sep;  // named, never defined by the seed report
  double quality_pct;                     // read as quality_pct +- 2.5
};
inline constexpr std::array<MemoryQualityRow, 4> kMemoryQuality = {{
    {4, 512, 4.0, 0.72, 0.68, 70},
    {8, 1024, 4.8, 0.78, 0.73, 85},
    {16, 2048, 5.5, 0.82, 0.77, 95},
    {32, 4096, 9.5, 0.84, 0.79, 98},
}};

// A single quality figure X% stands for X +- kQualityRounding (the seed rounds to 5%).
inline constexpr double kQualityRounding = 2.5;

// Its sentences.
inline constexpr double kFullFtQualityLo = 95, kFullFtQualityHi = 99;  // LoRA vs full FT
inline constexpr double kNf4KeepsPct = 99;                             // "NF4 keeps 99% of quality"
inline constexpr double kConservativeFitsGb = 5.0;  // r8/seq1024/accum32 "fits 5 GB"
inline constexpr double kAggressiveNeedsGb = 8.0;   // r32/seq4096/batch2 "needs 8 GB+"

}  // namespace qlsweep::analysis::seed
