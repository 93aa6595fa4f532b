// Parity of LoadLlama with HF transformers: logits on fixed tokens for the hf-tiny checkpoints
// (untied single file, tied sharded) and for the GGUF fixture's dequantized weights, fp32 CPU.
#include <gtest/gtest.h>

#include <string>

#include "trainer/io/gguf_source.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/safetensors.h"
#include "trainer/model/load.h"
#include "trainer/model/rope.h"

namespace qlsweep::trainer {
namespace {

const std::string kAssets = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/";

// Tolerance: 2e-5 absolute on logits of magnitude <= 1.6. Both sides compute in float32 on the CPU
// with the same op sequence; they can differ only in GEMM/SDPA summation order (a few ulps, ~1e-7,
// per op over 2 layers); observed with libtorch 2.11 against torch 2.11 + transformers 5.24: 0,
// bit-equal, on all three fixtures. transformers' own sdpa vs eager paths differ by up to 6.6e-7
// here. A wrong weight, q/k order, eps (1e-5 -> 1e-6 gives 7.9e-3) or theta is far above 2e-5.
constexpr double kAbsTol = 2e-5;

// Logits [B, T, V] float32 of `model` for tokens [B, T] int64.
torch::Tensor Logits(LlamaModel& model, const torch::Tensor& tokens) {
  torch::NoGradGuard no_grad;
  model->eval();
  return torch::matmul(model->forward(tokens), model->OutputWeight().t());
}

// Loads `source` (fp32 CPU, no quantization, LoRA r=8 on every projection with B = 0) and
// compares its logits with `reference` (a file with "tokens" and "logits"); returns max |diff|.
double MaxLogitDiff(WeightSource& source, const std::string& reference) {
  SafetensorsFile ref(reference);
  const torch::Tensor tokens = ref.Read("tokens");
  const torch::Tensor want = ref.Read("logits");
  LoraSpec lora{
      .r = 8, .alpha = 16, .dropout = 0, .targets = {"q", "k", "v", "o", "gate", "up", "down"}};
  LlamaModel model = LoadLlama(source, lora, torch::TensorOptions().dtype(torch::kFloat32), {}, 1);
  const torch::Tensor got = Logits(model, tokens);
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_GT(want.abs().max().item<double>(), 0.1);  // non-trivial logits
  return (got - want).abs().max().item<double>();
}

TEST(HfParity, UntiedSingleFileLogitsMatchTransformers) {
  HfCheckpoint ckpt(kAssets + "hf-tiny/untied");
  EXPECT_FALSE(ckpt.Shape().tie_embeddings);
  const double diff = MaxLogitDiff(ckpt, kAssets + "hf-tiny/untied/reference_logits.safetensors");
  EXPECT_LT(diff, kAbsTol);
  std::printf("untied max |diff| = %.3g\n", diff);
}

// The untied weights under Llama 3.1's rope scaling (original context 64, factor 8): the scaled
// frequencies move the logits by far more than the tolerance, so matching means scaling right.
TEST(HfParity, Llama3RopeScalingLogitsMatchTransformers) {
  HfCheckpoint ckpt(kAssets + "hf-tiny/llama3-rope");
  EXPECT_EQ(ckpt.Shape().rope_scaling.factor, 8.0);
  const std::string ref = kAssets + "hf-tiny/llama3-rope/reference_logits.safetensors";
  const double diff = MaxLogitDiff(ckpt, ref);
  EXPECT_LT(diff, kAbsTol);
  const double effect =
      (SafetensorsFile(ref).Read("logits") -
       SafetensorsFile(kAssets + "hf-tiny/untied/reference_logits.safetensors").Read("logits"))
          .abs()
          .max()
          .item<double>();
  std::printf("llama3-rope max |diff| = %.3g (scaling itself moves the logits by %.3g)\n", diff,
              effect);
  EXPECT_GT(effect, 50 * kAbsTol);
  // The frequencies themselves, op for op as HF computes them (float32).
  const auto want = SafetensorsFile(ref).Read("inv_freq");
  const auto plain = 1.0 / torch::pow(10000.0, torch::arange(0, 16, 2, torch::kFloat32) / 16.0);
  const auto got = Llama3InvFreq(plain, ckpt.Shape().rope_scaling);
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-9) << got << want;
  EXPECT_GT((plain - want).abs().max().item<double>(), 1e-3);  // some were scaled
}

TEST(HfParity, TiedShardedLogitsMatchTransformers) {
  HfCheckpoint ckpt(kAssets + "hf-tiny/tied-sharded");
  EXPECT_TRUE(ckpt.Shape().tie_embeddings);
  EXPECT_FALSE(ckpt.Has("lm_head.weight"));
  const double diff =
      MaxLogitDiff(ckpt, kAssets + "hf-tiny/tied-sharded/reference_logits.safetensors");
  EXPECT_LT(diff, kAbsTol);
  std::printf("tied-sharded max |diff| = %.3g\n", diff);
}

TEST(HfParity, GgufFixtureLogitsMatchTransformersOnDequantizedWeights) {
  GgufSource gguf(kAssets + "gguf/tiny-llama.gguf");
  const double diff = MaxLogitDiff(gguf, kAssets + "hf-tiny/gguf_reference_logits.safetensors");
  EXPECT_LT(diff, kAbsTol);
  std::printf("gguf max |diff| = %.3g\n", diff);
}

}  // namespace
}  // namespace qlsweep::trainer
