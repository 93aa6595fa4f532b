// The seed report's LoRA-rank table (7B memory, SmolLM2 quality) and batch x accumulation table.
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

std::optional<double> Trainable(const storage::TrialRow* t) {
  if (t == nullptr) return std::nullopt;
  return Result(*t, result::kTrainableParams);  // recorded for oom trials too
}

std::string MillionsCell(std::optional<double> count) {
  return count ? NumberCell("%.1fM", *count / 1e6) : "-";
}

std::string PercentRange(double lo, double hi) {
  return lo == hi ? NumberCell("%.0f%%", lo)
                  : NumberCell("%.1f", lo) + "-" + NumberCell("%.1f%%", hi);
}

}  // namespace

SeedSection RankSection(const SeedContext& c) {
  SeedSection s;
  s.title = "LoRA rank (Llama-2-7B memory at seq 2048; quality on SmolLM2-135M)";
  s.notes = {
      "Memory: QLoRA on Llama-2-7B at seq 2048, alpha 32, on the whole GPU and held to the " +
          c.in.profile.name + " profile (fits? as in the sequence-length section).",
      "Quality: the same ranks on SmolLM2-135M-Instruct with Debian's fortunes (seq 512; "
      "data/seed-report/gpu/seed-quality.yaml), scored against full fine-tuning at the same "
      "length: (L_base - L_trial) / (L_base "
      "- L_full); +- is two standard errors over the seeds (the number of seeds in brackets). "
      "Eval losses of an NF4 base are on a re-quantized base (see 'Other claims')."};
  s.table.headers = {"r",
                     "seed trainable",
                     "trainable",
                     "seed total GB",
                     "total GiB",
                     "seed fits?",
                     "fits? (margin)",
                     "seed quality",
                     "quality vs full FT (SmolLM2)",
                     "eval loss (SmolLM2)",
                     "verdict"};
  for (const auto& row : seed::kRank) {
    const std::string n = "r" + std::to_string(row.r);
    const auto* t = c.Trial(SeedPart::kRank, n);
    const auto* held = c.Trial(SeedPart::kRank, "held-" + n);
    const auto quality_seeds = c.Seeds(SeedPart::kQuality, n);
    std::string quality_why;
    const auto quality = QualityVsFullFt(c, quality_seeds, &quality_why);
    const auto fit = FitOf(c, t, held);
    std::string why = c.WhyMissing(SeedPart::kRank);
    if (why.empty()) why = c.Not7bOnGpu(t);
    const std::string real = quality_seeds.empty() ? c.WhyMissing(SeedPart::kQuality)
                                                   : c.NotRealModel(quality_seeds.front());
    const auto verdict = Combine(
        {{"trainable", SeedContext::Unless(why, JudgeCount(row.trainable, Trainable(t)))},
         {"total", SeedContext::Unless(
                       why, JudgeMemory(row.total_gb, DoneResult(t, result::kDevicePeakBytes)))},
         {"fits", SeedContext::Unless(why, JudgeFits(row.fits, fit))},
         {"quality", SeedContext::Unless(
                         real.empty() ? quality_why : real,
                         JudgeQualityRange(row.quality_lo / 100, row.quality_hi / 100, quality))}});
    AddClaim(s,
             "rank " + std::to_string(row.r) + ": " + MillionsCell(row.trainable) + " trainable, " +
                 NumberCell("%.1f", row.total_gb) + " GB, " + (row.fits ? "fits" : "does not fit") +
                 ", quality " + PercentRange(row.quality_lo, row.quality_hi),
             verdict);
    s.table.rows.push_back(
        {std::to_string(row.r), MillionsCell(row.trainable), MillionsCell(Trainable(t)),
         NumberCell("%.1f", row.total_gb), GiBCell(DoneResult(t, result::kDevicePeakBytes)),
         row.fits ? "yes" : "no", FitsCell(fit), PercentRange(row.quality_lo, row.quality_hi),
         SampledCell("%.1f%%", quality, 100),
         SampledCell("%.4f", SampleOf(quality_seeds, result::kFinalEvalLoss)),
         std::string(VerdictName(verdict.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kRank, c.in.quick) + "/plots/memory-by-lora.r",
             SeedPartSweep(SeedPart::kQuality, c.in.quick) + "/plots/loss-curves"};
  return s;
}

SeedSection BatchSection(const SeedContext& c) {
  SeedSection s;
  s.title = "Micro-batch x gradient accumulation (Llama-2-7B, QLoRA r=16, seq 2048)";
  s.notes = {
      "Measured on the whole GPU (" + c.in.hardware +
      "). time: seconds per training sample "
      "(1 / tokens/s x seq_len) relative to 1x32's, in %; the seed's time is on its 4050, ours on "
      "the GPU that ran, so only the ratios compare. The seed gives no fits? column here: the "
      "total is judged as a memory figure."};
  s.table.headers = {"micro-batch x accumulation",
                     "seed memory GB",
                     "total GiB",
                     "seed time",
                     "time vs 1x32",
                     "tokens/s",
                     "s per optimizer step",
                     "verdict"};
  const auto* first = c.Trial(SeedPart::kBatch, "b1x32");
  const auto reference_tps = DoneResult(first, result::kTokensPerS);
  for (const auto& row : seed::kBatch) {
    const std::string shape =
        std::to_string(row.micro_batch) + "x" + std::to_string(row.grad_accum);
    const auto* t = c.Trial(SeedPart::kBatch, "b" + shape);
    const auto tps = DoneResult(t, result::kTokensPerS);
    std::optional<double> relative, step_s;
    if (tps && reference_tps && *tps > 0) relative = 100 * *reference_tps / *tps;
    if (tps && *tps > 0 && t != nullptr) {
      const auto seq = NumericParam(*t, "data.seq_len");
      if (seq) step_s = row.micro_batch * row.grad_accum * *seq / *tps;
    }
    std::string why = c.WhyMissing(SeedPart::kBatch);
    if (why.empty()) why = c.Not7bOnGpu(t);
    const auto verdict = SeedContext::Unless(
        why,
        Combine({{"memory", JudgeMemory(row.memory_gb, DoneResult(t, result::kDevicePeakBytes))},
                 {"time", JudgeRelativeTime(row.time_pct, relative)}}));
    AddClaim(s,
             shape + ": " + NumberCell("%.1f", row.memory_gb) + " GB, time " +
                 NumberCell("%.0f%%", row.time_pct),
             verdict);
    s.table.rows.push_back({shape, NumberCell("%.1f", row.memory_gb),
                            GiBCell(DoneResult(t, result::kDevicePeakBytes)),
                            NumberCell("%.0f%%", row.time_pct), NumberCell("%.0f%%", relative),
                            NumberCell("%.0f", tps), NumberCell("%.2f", step_s),
                            std::string(VerdictName(verdict.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kBatch, c.in.quick) + "/plots/tokens-per-s-vs-memory"};
  return s;
}

}  // namespace qlsweep::analysis
