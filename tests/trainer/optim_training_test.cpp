// Unit: a tiny model trained with 8-bit (and paged 8-bit) AdamW states reaches fp32 AdamW's loss.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sweeps/load.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using qlsweep::testing::RecordingSink;

// The tiny preset with r=64 so that every LoRA factor has >= 4096 elements (8-bit states), on
// CPU in fp32, 40 steps. Returns the done event.
nlohmann::json RunTiny(const std::string& optim) {
  auto cfg = sweeps::ResolveTrial(nlohmann::json::parse(R"({
      "model": {"preset": "tiny"}, "quantization": {"type": "none"},
      "lora": {"r": 64, "alpha": 64, "dropout": 0.0},
      "data": {"seq_len": 32}, "train": {"steps": 40, "micro_batch": 4, "warmup_steps": 4},
      "optim": {"name": ")" + optim + R"(", "lr": 0.003},
      "eval": {"sequences": 4}, "hardware": {"device": "cpu"}})"));
  RecordingSink sink;
  EXPECT_EQ(RunTrial(cfg, sink), kExitDone) << sink.events.back().dump();
  return sink.events.back();
}

TEST(OptimTraining, EightBitStatesTrainTheTinyModelLikeFp32) {
  const auto fp32 = RunTiny("adamw");
  const auto eight = RunTiny("adamw_8bit");
  const auto paged = RunTiny("paged_adamw_8bit");  // on CPU: same as adamw_8bit
  ASSERT_EQ(fp32["event"], "done");
  ASSERT_EQ(eight["event"], "done");
  const double base = fp32["base_eval_loss"].get<double>();
  const double f = fp32["final_eval_loss"].get<double>();
  const double e = eight["final_eval_loss"].get<double>();
  EXPECT_LT(f, base - 0.05) << "fp32 must learn something for the comparison to mean anything";
  // Margin: the 8-bit run's eval loss within 2% of fp32's, and it learns at least 90% as much.
  EXPECT_LE(std::abs(e - f), 0.02 * f) << "8-bit " << e << " fp32 " << f;
  EXPECT_GE(base - e, 0.9 * (base - f)) << "8-bit " << e << " fp32 " << f << " base " << base;
  EXPECT_EQ(paged["final_eval_loss"].get<double>(), e);
}

}  // namespace
}  // namespace qlsweep::trainer
