// Pins a short CPU trial's losses, gradient norms and evaluations: refactors of the training
// recipe must not change what a trial computes.
#include <gtest/gtest.h>

#include <vector>

#include "protocol/events.h"
#include "sweeps/load.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using nlohmann::json;
namespace ev = protocol::event;
namespace f = protocol::field;

class PinSink : public EventSink {
 public:
  void Emit(const json& e) override {
    if (e[ev::kKey] == ev::kStep) {
      losses.push_back(e[f::kLoss].get<double>());
      grad_norms.push_back(e[f::kGradNorm].get<double>());
    }
    if (e[ev::kKey] == ev::kEval) evals.push_back(e[f::kEvalLoss].get<double>());
    last = e;
  }
  std::vector<double> losses, grad_norms, evals;
  json last;
};

// Dropout, accumulation, checkpointing, clipping (step 6 only), 8-bit AdamW, interval evals.
sweeps::TrialConfig PinnedTrial() {
  return sweeps::ResolveTrial(json::parse(R"({
      "model": {"preset": "tiny"}, "data": {"seq_len": 32},
      "train": {"steps": 6, "micro_batch": 2, "grad_accum": 2, "warmup_steps": 2,
                "max_grad_norm": 0.5, "seed": 3, "grad_checkpointing": true},
      "lora": {"r": 8, "alpha": 16, "dropout": 0.1}, "optim": {"name": "adamw_8bit", "lr": 0.02},
      "eval": {"sequences": 6, "interval": 3}, "hardware": {"device": "cpu"}})"));
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5 * want[i]) << "index " << i;
  }
}

// The values were printed by `qlsweep train` (same config) from the recipe before its split into
// setup / step / events (commit 95541be) and were bit-identical after it on the development
// machine. Re-pinned once since: the MLP's gate and up projections now draw their dropout masks
// in that order (PEFT's); before, `silu(gate(m)) * up(m)` left the order to the compiler's
// evaluation of operator* arguments (GCC took up first). The first loss and step 2 (the learning
// rate is 0 in step 1 of the warm-up, B = 0) are unchanged. Fusing the LoRA projection
// (QLSWEEP_FUSED_OPS=lora or none) moves these by less than 1e-7 relative. Tolerance 1e-5
// relative: another CPU may pick other fp32 kernels (SIMD widths) in libtorch; a changed
// computation moves these by far more.
TEST(RecipePin, ShortTrialMatchesThePinnedNumbers) {
  PinSink sink;
  ASSERT_EQ(RunTrial(PinnedTrial(), sink), kExitDone) << sink.last.dump();
  ExpectNear(sink.losses, {6.5558271408081055, 6.820580720901489, 6.803521633148193,
                           6.7460973262786865, 6.4715330600738525, 6.704477548599243});
  ExpectNear(sink.grad_norms, {0.3386172950267792, 0.3250579833984375, 0.32535991072654724,
                               0.37576010823249817, 0.4477716386318207, 0.5778037309646606});
  ExpectNear(sink.evals, {6.83864704767863, 6.7420698801676435, 6.617303371429443});
}

}  // namespace
}  // namespace qlsweep::trainer
