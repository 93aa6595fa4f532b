// The seed report's other claims: on SmolLM2 with real text (accumulation, 8-bit AdamW, bf16 vs
// fp16, NF4 vs 16-bit, checkpointing) and its two 7B recipes.
#include <cmath>
#include <limits>
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

std::string DiffCell(const std::optional<Sampled>& a, const std::optional<Sampled>& b) {
  if (!a || !b) return "-";
  return NumberCell("%+.4f", a->mean - b->mean);
}

// Whether the trainer scaled the trial's fp16 loss: its results name a loss scale (a trainer with
// dynamic loss scaling records the final scale; one without records none).
// Whether the trial ran with fp16 loss scaling (its done event records the final scale).
bool LossScaled(const storage::TrialRow& t) {
  return t.results.find(std::string(protocol::result::kFinalLossScale)) != t.results.end();
}

}  // namespace

SeedSection OtherClaimsSection(const SeedContext& c) {
  SeedSection s;
  s.title = "The seed's other claims";
  const auto loss = [&](const std::string& name) {
    return SampleOf(c.Seeds(SeedPart::kClaims, name), result::kFinalEvalLoss);
  };
  const auto base_loss = [&](const std::string& name) {
    return SampleOf(c.Seeds(SeedPart::kClaims, name), result::kBaseEvalLoss);
  };
  const auto* baseline = c.Trial(SeedPart::kClaims, "baseline");
  std::string real = c.WhyMissing(SeedPart::kClaims);
  if (real.empty()) real = c.NotRealModel(baseline);
  const auto nf4_base = base_loss("baseline"), bf16_base = base_loss("base-16bit");
  const auto* fp16 = c.Trial(SeedPart::kClaims, "fp16");
  const bool fp16_scaled = fp16 != nullptr && LossScaled(*fp16);
  s.notes = {
      "SmolLM2-135M-Instruct on Debian's fortunes, each claim's configuration against the "
      "baseline (the seed's recipe: NF4 + double quant, LoRA r=16, paged 8-bit AdamW, bf16, "
      "checkpointing; seq 512, 16 x 512 tokens per step; data/seed-report/gpu/seed-claims.yaml), "
      "the same seeds. A "
      "difference counts only beyond two standard errors of the difference (and 0.001 nats); "
      "eval loss +- two standard errors (seeds).",
      "Losses on a re-quantized base: SmolLM2 ships as a Q4_1 GGUF; qlsweep dequantizes it on "
      "load and, for an NF4 trial, quantizes it again. Before tuning that costs " +
          DiffCell(nf4_base, bf16_base) +
          " nats here (untuned NF4 vs 16-bit eval loss; about 0.2 on a GPU), so an adapter "
          "evaluated in PEFT on the dequantized 16-bit weights scores lower losses than these.",
      "Accumulation vs batch: 1 x 16 against 16 x 1, the same rows in the same order, dropout "
      "off, 20 steps: the updates differ only by rounding, so their final training and eval "
      "losses should agree within the noise.",
      "fp16: the trainer has no loss scaling, so fp16 runs without it; the seed compares bf16 "
      "with fp16 with loss scaling."};
  if (fp16_scaled) {
    s.notes.back() = "fp16: the trainer scales fp16 losses dynamically (GradScaler's rule).";
  }
  s.table.headers = {"claim",         "configuration", "eval loss", "compared with",
                     "its eval loss", "difference",    "verdict"};
  const auto add = [&](const std::string& claim, const std::string& name, const std::string& other,
                       const ClaimVerdict& v) {
    AddClaim(s, claim, v);
    s.table.rows.push_back({claim, name, SampledCell("%.4f", loss(name)), other,
                            SampledCell("%.4f", loss(other)), DiffCell(loss(name), loss(other)),
                            std::string(VerdictName(v.verdict))});
  };
  const auto train_loss = [&](const std::string& name) {
    return SampleOf(c.Seeds(SeedPart::kClaims, name), result::kFinalLoss);
  };
  add("accumulation 16 is identical to batch 16", "accum16", "batch16",
      SeedContext::Unless(
          real,
          Combine({{"eval loss",
                    JudgeNoDifference("accum16", loss("accum16"), "batch16", loss("batch16"))},
                   {"final training loss", JudgeNoDifference("accum16", train_loss("accum16"),
                                                             "batch16", train_loss("batch16"))}})));
  add("the 8-bit optimizer has no measurable impact", "baseline", "adamw-32bit",
      SeedContext::Unless(
          real, JudgeNoDifference("8-bit", loss("baseline"), "32-bit", loss("adamw-32bit"))));
  add("bf16 is more stable than fp16 (with loss scaling)", "baseline", "fp16",
      SeedContext::Unless(
          real, JudgeBf16MoreStable(loss("baseline"), loss("fp16"),
                                    fp16 != nullptr ? OutcomeCell(fp16) : "", fp16_scaled)));
  std::string why;
  const auto kept =
      bf16_base && loss("base-16bit")
          ? QualityFrom(*bf16_base, *loss("base-16bit"), loss("baseline"), "the 16-bit base", &why)
          : std::nullopt;
  if (!bf16_base || !loss("base-16bit")) why = "no finished 16-bit trial";
  const auto nf4 = SeedContext::Unless(
      real, SeedContext::Unless(kept ? "" : why,
                                JudgeQualityRange(seed::kNf4KeepsPct / 100,
                                                  std::numeric_limits<double>::infinity(), kept)));
  AddClaim(s, "NF4 keeps 99% of quality (of the 16-bit base's gain; re-quantized base)", nf4);
  s.table.rows.push_back(
      {"NF4 keeps 99% of quality", "baseline", SampledCell("%.4f", loss("baseline")), "base-16bit",
       SampledCell("%.4f", loss("base-16bit")), "kept " + SampledCell("%.1f%%", kept, 100),
       std::string(VerdictName(nf4.verdict))});
  add("gradient checkpointing has no quality impact", "baseline", "no-checkpointing",
      SeedContext::Unless(real, JudgeNoDifference("checkpointing", loss("baseline"), "none",
                                                  loss("no-checkpointing"))));

  // The two recipes, on Llama-2-7B (seed-speed).
  for (const bool aggressive : {false, true}) {
    const auto* t = c.Trial(SeedPart::kSpeed, aggressive ? "aggressive" : "conservative");
    std::string why7 = c.WhyMissing(SeedPart::kSpeed);
    if (why7.empty()) why7 = c.Not7bOnGpu(t);
    const double gb = aggressive ? seed::kAggressiveNeedsGb : seed::kConservativeFitsGb;
    const auto peak = DoneResult(t, result::kDevicePeakBytes);
    const auto v = SeedContext::Unless(why7, JudgeBound(gb, aggressive, peak));
    const std::string claim = aggressive ? "\"aggressive\" r32/seq 4096/micro-batch 2 needs 8 GB+"
                                         : "\"conservative\" r8/seq 1024/accum 32 fits 5 GB";
    AddClaim(s, claim, v);
    s.table.rows.push_back({claim, aggressive ? "aggressive (7B)" : "conservative (7B)",
                            "peak " + GiBCell(peak) + " GiB", "-", "-", "-",
                            std::string(VerdictName(v.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kClaims, c.in.quick) + "/plots/loss-curves"};
  return s;
}

}  // namespace qlsweep::analysis
