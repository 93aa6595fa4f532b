// The seed report's training-speed table: measured on the GPU that ran, projected onto the card
// (analysis/speed_projection.h), and the card's compute bound.
#include <stdexcept>
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/speed_projection.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "sweeps/load.h"
#include "sweeps/model_shapes.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

// Training FLOPs per token of a model of `params` parameters: 6 (forward 2, backward 4); the
// recompute of checkpointing adds 2 more, so 6 gives a bound that is generous to the claim.
constexpr double kFlopsPerParamToken = 6;

// The seed's configuration of a speed row (Llama-2-7B, NF4 + double quant, r on all projections,
// micro-batch 1 x accumulation 16, checkpointing, bf16, paged 8-bit AdamW) projected onto
// `profile`: "0.0066 steps/s, 1571 min/epoch (fast end 0.011, 937)", or why there is none.
std::string ProjectedCell(const seed::SpeedRow& row, const sweeps::GpuProfile& profile) {
  try {
    const sweeps::TrialConfig cfg =
        sweeps::ResolveTrial({{"model.preset", "llama2-7b"},
                              {"lora.r", row.r},
                              {"data.seq_len", row.seq_len},
                              {"train.micro_batch", seed::kSpeedMicroBatch},
                              {"train.grad_accum", seed::kSpeedGradAccum},
                              {"hardware.device", "cuda"},
                              {"hardware.dtype", "bf16"}});
    const SpeedProjection p = ProjectSpeed(cfg, profile);
    const double fast = p.step_seconds / p.step_seconds_fast;
    const double epoch_min = EpochSeconds(cfg, p, seed::kEpochSamples) / 60;
    return NumberCell("%.4f", p.steps_per_second) + " steps/s, " + NumberCell("%.0f", epoch_min) +
           " min/epoch (fast end " + NumberCell("%.4f", p.steps_per_second * fast) + ", " +
           NumberCell("%.0f", epoch_min / fast) + ")";
  } catch (const std::invalid_argument& e) {
    return std::string("cannot be checked here: ") + e.what();
  }
}

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
          c.in.profile.name +
          ": a roofline of the step's FLOPs and bytes against the card's peak and bandwidth "
          "with efficiencies measured on an H200 (docs/speed-projection.md), and its fast end "
          "(GEMMs at 70% of peak); a projection, not a measurement on the card.",
      "The verdict rests on a hard limit instead, the card's peak dense bf16 throughput (" +
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
                            NumberCell("%.0f", tps), ProjectedCell(row, c.in.profile),
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
