// QLoRA on the CPU: the 4-bit linear's gradients, and training on a 4-bit base vs a 16-bit one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "sweeps/load.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/quant/linear_4bit.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using qlsweep::testing::RecordingSink;

TEST(Linear4bit, EqualsALinearOnTheDequantizedWeightInValueAndInputGradient) {
  torch::manual_seed(0);
  auto w = torch::randn({48, 64});
  auto q = Quantize4bit(w, FourBitType::kNf4, 64, /*double_quant=*/true);
  auto dense = Dequantize4bit(q, torch::kFloat32);
  auto x = torch::randn({3, 5, 64}, torch::requires_grad());
  auto x_ref = x.detach().clone().requires_grad_(true);
  auto y = Linear4bit(x, q);
  auto y_ref = torch::nn::functional::linear(x_ref, dense);
  EXPECT_TRUE(torch::allclose(y, y_ref, 1e-6, 1e-6));  // same GEMM on the same fp32 values
  auto g = torch::randn_like(y);
  y.backward(g);
  y_ref.backward(g);
  EXPECT_TRUE(torch::allclose(x.grad(), x_ref.grad(), 1e-6, 1e-6));
}

double FinalEvalLoss(const std::string& quant_type, double* base_loss) {
  auto cfg = sweeps::ResolveTrial(nlohmann::json::parse(R"({
      "model": {"preset": "tiny"}, "data": {"seq_len": 64},
      "train": {"steps": 30, "micro_batch": 4, "warmup_steps": 2},
      "optim": {"name": "adamw", "lr": 0.01}, "eval": {"sequences": 16},
      "hardware": {"device": "cpu"}, "lora": {"r": 8}})"));
  cfg.quantization.type = quant_type;
  RecordingSink sink;
  EXPECT_EQ(RunTrial(cfg, sink), kExitDone) << sink.Last().dump();
  *base_loss = sink.Last().value("base_eval_loss", 0.0);
  return sink.Last().value("final_eval_loss", 0.0);
}

// The QLoRA paper's claim at toy scale: LoRA on an NF4 base learns like LoRA on the 16-bit base.
TEST(QLoRA, Nf4BaseTracksTheSixteenBitBase) {
  double base16 = 0, base4 = 0;
  const double loss16 = FinalEvalLoss("none", &base16);
  const double loss4 = FinalEvalLoss("nf4", &base4);
  EXPECT_LT(loss16, base16 - 0.1);  // both learn...
  EXPECT_LT(loss4, base4 - 0.1);
  // ...by about the same amount: the learned drop differs by under 10% (observed: see the log).
  const double drop16 = base16 - loss16, drop4 = base4 - loss4;
  std::printf("16-bit: %.4f -> %.4f; nf4: %.4f -> %.4f\n", base16, loss16, base4, loss4);
  EXPECT_NEAR(drop4, drop16, 0.1 * drop16);
  // NF4 changes the random base only slightly: the untuned losses agree to 1%.
  EXPECT_NEAR(base4, base16, 0.01 * base16);
}

}  // namespace
}  // namespace qlsweep::trainer
