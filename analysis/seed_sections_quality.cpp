// The seed report's quality sections: memory vs quality of its four configurations and LoRA
// against full fine-tuning.
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

// The quality configuration of the seed's row: seq 512 rows are the rank sweep's "r<r>".
std::string QualityName(int r, int seq_len) {
  const std::string rank = "r" + std::to_string(r);
  return seq_len == 512 ? rank : rank + "-seq" + std::to_string(seq_len);
}

std::string ReferenceReason(const SeedContext& c) {
  const std::string missing = c.WhyMissing(SeedPart::kFullFt);
  return missing.empty() ? "" : "full fine-tuning trial type missing: " + missing;
}

}  // namespace

SeedSection MemoryQualitySection(const SeedContext& c) {
  SeedSection s;
  s.title = "Memory vs quality: the seed's four configurations";
  s.notes = {
      "Memory: Llama-2-7B on the whole GPU and held to the " + c.in.profile.name +
          " profile. Quality: SmolLM2-135M-Instruct on fortunes at the same rank and sequence "
          "length (8,192 tokens per step each), against full fine-tuning at that length; eval "
          "losses at different lengths are not comparable with each other (a longer context "
          "lowers the loss per token), which is why each length has its own reference.",
      "The seed's \"Causal Stability\" and \"Spurious Sep\" columns are not defined anywhere in "
      "the seed report, so they cannot be measured or checked; shown beside them is what qlsweep "
      "measures: the eval loss (nats per token on the held-out text), the token accuracy and the "
      "quality score."};
  s.table.headers = {"configuration",
                     "seed memory GB",
                     "total GiB (7B)",
                     "fits? (margin)",
                     "seed \"Causal Stability\"",
                     "seed \"Spurious Sep\"",
                     "eval loss (SmolLM2)",
                     "token accuracy",
                     "seed quality",
                     "quality vs full FT",
                     "verdict"};
  for (const auto& row : seed::kMemoryQuality) {
    const std::string name = "r" + std::to_string(row.r) + "-seq" + std::to_string(row.seq_len);
    const auto* t = c.Trial(SeedPart::kMemoryQuality, name);
    const auto* held = c.Trial(SeedPart::kMemoryQuality, "held-" + name);
    const auto seeds = c.Seeds(SeedPart::kQuality, QualityName(row.r, row.seq_len));
    std::string quality_why;
    const auto quality = QualityVsFullFt(c, seeds, &quality_why);
    std::string why = c.WhyMissing(SeedPart::kMemoryQuality);
    if (why.empty()) why = c.Not7bOnGpu(t);
    const std::string real =
        seeds.empty() ? c.WhyMissing(SeedPart::kQuality) : c.NotRealModel(seeds.front());
    const double q = row.quality_pct / 100, band = seed::kQualityRounding / 100;
    const auto verdict = Combine(
        {{"memory", SeedContext::Unless(
                        why, JudgeMemory(row.memory_gb, DoneResult(t, result::kDevicePeakBytes)))},
         {"quality", SeedContext::Unless(real.empty() ? quality_why : real,
                                         JudgeQualityRange(q - band, q + band, quality))},
         {"Causal Stability, Spurious Sep", CannotCheck("not defined by the seed report")}});
    AddClaim(s,
             "r" + std::to_string(row.r) + "/seq " + std::to_string(row.seq_len) + ": " +
                 NumberCell("%.1f", row.memory_gb) + " GB, quality " +
                 NumberCell("%.0f%%", row.quality_pct),
             verdict);
    s.table.rows.push_back(
        {"r" + std::to_string(row.r) + "/seq " + std::to_string(row.seq_len),
         NumberCell("%.1f", row.memory_gb), GiBCell(DoneResult(t, result::kDevicePeakBytes)),
         FitsCell(FitOf(c, t, held)), NumberCell("%.2f (undefined)", row.causal_stability),
         NumberCell("%.2f (undefined)", row.spurious_sep),
         SampledCell("%.4f", SampleOf(seeds, result::kFinalEvalLoss)),
         SampledCell("%.3f", SampleOf(seeds, result::kTokenAccuracy)),
         NumberCell("%.0f%%", row.quality_pct), SampledCell("%.1f%%", quality, 100),
         std::string(VerdictName(verdict.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kMemoryQuality, c.in.quick) + "/plots/memory-by-data.seq_len"};
  return s;
}

SeedSection FullFtSection(const SeedContext& c) {
  SeedSection s;
  s.title = "Quality vs full fine-tuning (SmolLM2-135M, seq 512)";
  s.notes = {
      "The reference: full fine-tuning (every weight trainable, 16-bit base, 32-bit AdamW, lr "
      "1e-4) of SmolLM2-135M-Instruct on the same text, steps and eval rows "
      "(seed-full-ft). quality = (L_base - L_trial) / (L_base - L_full) with L_base the untuned "
      "16-bit model's eval loss; 1 = as good as full fine-tuning. +- is two standard errors over "
      "the seeds, the reference's own spread included (docs/analysis.md)."};
  s.table.headers = {"configuration", "eval loss", "base eval loss", "quality vs full FT",
                     "verdict"};
  const std::string reference_why = ReferenceReason(c);
  // The reference at the length of the recipe's trials (512 in the GPU set).
  const auto* recipe = c.Trial(SeedPart::kQuality, "r16");
  const std::string seq = recipe != nullptr ? Param(*recipe, "data.seq_len") : "512";
  std::vector<const storage::TrialRow*> reference;
  if (reference_why.empty()) {
    for (const auto& t : c.in.trials.at(SeedPart::kFullFt)) {
      if (Param(t, "data.seq_len") == seq) reference.push_back(&t);
    }
  }
  s.table.rows.push_back({"full fine-tuning (the reference)",
                          SampledCell("%.4f", SampleOf(reference, result::kFinalEvalLoss)),
                          SampledCell("%.4f", SampleOf(reference, result::kBaseEvalLoss)),
                          reference.empty() ? "-" : "1 by definition", "-"});
  const struct {
    SeedPart part;
    const char* name;
    const char* label;
  } rows[] = {{SeedPart::kQuality, "r16", "QLoRA r=16, NF4 base (the seed's recipe)"},
              {SeedPart::kClaims, "base-16bit", "LoRA r=16, 16-bit base"}};
  for (const auto& row : rows) {
    const auto seeds = c.Seeds(row.part, row.name);
    std::string why;
    const auto quality = QualityVsFullFt(c, seeds, &why);
    const std::string real = seeds.empty() ? c.WhyMissing(row.part) : c.NotRealModel(seeds.front());
    const std::string reason = !reference_why.empty() ? reference_why : !real.empty() ? real : why;
    const auto verdict = SeedContext::Unless(
        reason,
        JudgeQualityRange(seed::kFullFtQualityLo / 100, seed::kFullFtQualityHi / 100, quality));
    AddClaim(s, std::string(row.label) + " reaches 95-99% of full fine-tuning", verdict);
    s.table.rows.push_back({row.label, SampledCell("%.4f", SampleOf(seeds, result::kFinalEvalLoss)),
                            SampledCell("%.4f", SampleOf(seeds, result::kBaseEvalLoss)),
                            SampledCell("%.1f%%", quality, 100),
                            std::string(VerdictName(verdict.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kFullFt, c.in.quick) + "/plots/loss-curves"};
  return s;
}

}  // namespace qlsweep::analysis
