// The seed report's training-speed table: measured on the GPU that ran, the card's compute bound,
// and no projection onto the card (there is no roofline model in qlsweep yet).
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "sweeps/model_shapes.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

// Training FLOPs per token of a model of `params` parameters: 6 (forward 2, backward 4); the
// recompute of checkpointing adds 2 more, so 6 gives a bound that is generous to the claim.
constexpr double kFlopsPerParamToken = 6;

}  // namespace

SeedSection SpeedSection(const SeedContext& c) {
  SeedSection s;
  s.title = "Training speed (Llama-2-7B, micro-batch 1 x accumulation 16)";
  const double params = static_cast<double>(sweeps::PresetShape("llama2-7b").TotalParams());
  const double bound = c.in.profile.bf16_tflops * 1e12 / (kFlopsPerParamToken * params);
  s.notes = {
      "Measured on the GPU that ran (" + c.in.hardware +
          "): tokens/s over steps 2..N, steps/s = "
          "tokens/s / (16 x seq_len), an epoch = 10,000 samples. Projected for the " +
          c.in.profile.name + ": cannot be checked here: no roofline projection yet.",
      "What can be said about the card without a projection: its peak dense bf16 throughput (" +
          NumberCell("%.1f", c.in.profile.bf16_tflops) + " TFLOP/s, data/gpu_profiles.yaml) at " +
          NumberCell("%.0f", kFlopsPerParamToken) + " FLOPs per parameter per token for " +
          NumberCell("%.2fB", params / 1e9) + " parameters bounds training at " +
          NumberCell("%.0f", bound) +
          " tokens/s, at 100% utilisation and without the "
          "recompute of checkpointing: an upper bound, not a projection."};
  s.table.headers = {"setting",        "seed steps/s", "steps/s (GPU used)",
                     "seed min/epoch", "min/epoch",    "seed 3 epochs min",
                     "3 epochs min",   "tokens/s",     "projected for the profile",
                     "verdict"};
  for (const auto& row : seed::kSpeed) {
    const std::string name = "r" + std::to_string(row.r) + "-seq" + std::to_string(row.seq_len);
    const auto* t = c.Trial(SeedPart::kSpeed, name);
    const auto tps = DoneResult(t, result::kTokensPerS);
    std::optional<double> steps_per_s, min_epoch;
    if (tps && t != nullptr) {
      const auto seq = NumericParam(*t, "data.seq_len").value_or(row.seq_len);
      const auto mb = NumericParam(*t, "train.micro_batch").value_or(1);
      const auto accum = NumericParam(*t, "train.grad_accum").value_or(1);
      steps_per_s = *tps / (mb * accum * seq);
      min_epoch = seed::kEpochSamples * seq / *tps / 60;
    }
    const double claimed_tps =
        row.steps_per_s * seed::kSpeedMicroBatch * seed::kSpeedGradAccum * row.seq_len;
    const auto verdict = c.in.profile.bf16_tflops > 0
                             ? JudgeComputeBound(claimed_tps, bound)
                             : CannotCheck("the profile has no bf16 throughput figure");
    AddClaim(s,
             "r" + std::to_string(row.r) + "/seq " + std::to_string(row.seq_len) + " on the " +
                 c.in.profile.name + ": " + NumberCell("%.1f", row.steps_per_s) + " steps/s, " +
                 NumberCell("%.0f", row.min_per_epoch) + " min per epoch",
             verdict);
    s.table.rows.push_back({name, NumberCell("%.1f", row.steps_per_s),
                            NumberCell("%.3f", steps_per_s), NumberCell("%.0f", row.min_per_epoch),
                            NumberCell("%.1f", min_epoch), NumberCell("%.0f", row.min_3_epochs),
                            NumberCell("%.1f", min_epoch ? *min_epoch * 3 : min_epoch),
                            NumberCell("%.0f", tps),
                            "cannot be checked here: no roofline projection yet",
                            std::string(VerdictName(verdict.verdict))});
  }
  const auto* held = c.Trial(SeedPart::kSpeed, "held-unoptimised");
  std::string why = held == nullptr
                        ? (c.in.quick ? "--quick runs on the CPU: no trial is held to a "
                                        "GPU profile"
                                      : "no trial 'held-unoptimised' recorded")
                        : c.Not7bOnGpu(held);
  const auto oom = SeedContext::Unless(why, JudgeOom(StatusOf(held), c.in.profile.name));
  AddClaim(s, "without the optimisations: OOM on the " + c.in.profile.name, oom);
  s.table.rows.push_back({"no optimisations", "OOM", OutcomeCell(held), "-", "-", "-", "-", "-",
                          "-", std::string(VerdictName(oom.verdict))});
  return s;
}

}  // namespace qlsweep::analysis
