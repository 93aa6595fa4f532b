// Whole full fine-tuning trials (train.method full) and fp16 trials with dynamic loss scaling on
// the CPU: learning, parameter counts, checkpointing, the refused --save-adapter, scaler events.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "sweeps/load.h"
#include "sweeps/model_shapes.h"
#include "tests/support/scratch.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/train/schedule.h"
#include "trainer/train/train_step.h"
#include "trainer/train/trial_runner.h"
#include "trainer/train/trial_state.h"

namespace qlsweep::trainer {
namespace {

using nlohmann::json;
using qlsweep::testing::RecordingSink;

// The tiny preset fully fine-tuned on synthetic data, fp32 on the CPU.
sweeps::TrialConfig FullTrial(const std::string& extra = "{}") {
  auto config = json::parse(R"({
      "model": {"preset": "tiny"}, "quantization": {"type": "none"}, "data": {"seq_len": 32},
      "train": {"method": "full", "steps": 30, "micro_batch": 4, "warmup_steps": 2},
      "optim": {"name": "adamw", "lr": 0.001}, "eval": {"sequences": 16},
      "hardware": {"device": "cpu"}})");
  config.merge_patch(json::parse(extra));
  return sweeps::ResolveTrial(config);
}

RecordingSink RunOk(const sweeps::TrialConfig& cfg, const TrialOutputs& outputs = {}) {
  RecordingSink sink;
  EXPECT_EQ(RunTrial(cfg, sink, outputs), kExitDone) << sink.Last().dump();
  return sink;
}

std::vector<json> Steps(const RecordingSink& sink) {
  std::vector<json> out;
  for (const auto& e : sink.events) {
    if (e["event"] == "step") out.push_back(e);
  }
  return out;
}

// Every weight trains (the count is the model's), the eval loss falls, and 8-bit AdamW states
// (paged_adamw_8bit, the schema's default optimizer) work on every tensor: embeddings, norms, ...
TEST(FullFineTune, EveryWeightTrainsAndTheEvalLossFalls) {
  const auto shape = sweeps::PresetShape("tiny");
  for (const char* optim : {"adamw", "paged_adamw_8bit"}) {
    const auto run = RunOk(FullTrial(R"({"optim": {"name": ")" + std::string(optim) + R"("}})"));
    const auto& started = run.events[1];
    ASSERT_EQ(started["event"], "started");
    EXPECT_EQ(started["trainable_params"].get<int64_t>(), shape.TotalParams()) << optim;
    EXPECT_EQ(started["base_bytes"].get<int64_t>(), shape.TotalParams() * 4);  // fp32 weights
    const auto done = run.Last();
    EXPECT_EQ(done["trainable_params"].get<int64_t>(), shape.TotalParams());
    const double base = done["base_eval_loss"].get<double>();
    const double final_loss = done["final_eval_loss"].get<double>();
    std::printf("%s: eval loss %.4f -> %.4f\n", optim, base, final_loss);
    EXPECT_LT(final_loss, base - 0.2) << optim;    // stated bound: it learns, clearly
    EXPECT_FALSE(done.contains("skipped_steps"));  // no loss scaling outside fp16
    EXPECT_FALSE(Steps(run)[0].contains("loss_scale"));
  }
}

// Full fine-tuning learns more than LoRA on the same 16-bit base in the same steps: the quality
// reference of the seed report is above the trials it judges (here, at toy scale).
TEST(FullFineTune, LearnsMoreThanLoraOnTheSameBase) {
  const auto full = RunOk(FullTrial(R"({"optim": {"lr": 0.003}})")).Last();
  const auto lora =
      RunOk(FullTrial(R"({"train": {"method": "lora"}, "lora": {"r": 8, "dropout": 0.0},
                          "optim": {"lr": 0.003}})"))
          .Last();
  EXPECT_EQ(full["base_eval_loss"], lora["base_eval_loss"]);  // the same base model
  std::printf("eval loss: full %.4f, LoRA r8 %.4f (base %.4f)\n",
              full["final_eval_loss"].get<double>(), lora["final_eval_loss"].get<double>(),
              full["base_eval_loss"].get<double>());
  EXPECT_LT(full["final_eval_loss"].get<double>(), lora["final_eval_loss"].get<double>());
}

// Recomputing each layer in backward changes where activations live, not the gradients: the
// same losses with and without (float32; observed bit-identical on the CPU).
TEST(FullFineTune, CheckpointingGivesTheSameLosses) {
  const auto on = RunOk(FullTrial(R"({"train": {"steps": 5, "grad_checkpointing": true}})"));
  const auto off = RunOk(FullTrial(R"({"train": {"steps": 5, "grad_checkpointing": false}})"));
  ASSERT_EQ(on.Losses().size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(on.Losses()[i], off.Losses()[i], 1e-6 * std::abs(off.Losses()[i])) << i;
  }
  EXPECT_NEAR(on.Last()["final_eval_loss"].get<double>(),
              off.Last()["final_eval_loss"].get<double>(), 1e-6);
}

TEST(FullFineTune, SaveAdapterIsRefusedBeforeAnyWork) {
  qlsweep::testing::ScratchDir dir;
  RecordingSink sink;
  EXPECT_EQ(RunTrial(FullTrial(), sink, {.adapter_dir = dir.File("adapter")}), kExitConfig);
  ASSERT_EQ(sink.events.size(), 1u) << sink.Last().dump();
  EXPECT_EQ(sink.Last()["event"], "error");
  EXPECT_NE(sink.Last()["message"].get<std::string>().find(
                "train.method full trains the whole model and has no adapter to save"),
            std::string::npos)
      << sink.Last().dump();
}

// fp16 on the CPU (libtorch computes half GEMMs there): every step reports the scale its loss was
// multiplied by and whether it was skipped; the scale follows GradScaler's rule (halved after a
// skipped step, else unchanged before 2000 finite steps); the done event counts the skips.
void ExpectScalerEvents(const RecordingSink& run) {
  const auto steps = Steps(run);
  ASSERT_FALSE(steps.empty());
  double scale = 65536;
  int64_t skipped = 0;
  for (const auto& step : steps) {
    EXPECT_EQ(step["loss_scale"].get<double>(), scale) << step.dump();
    const bool skip = step["skipped"].get<int>() == 1;
    if (skip) {
      ++skipped;
      scale /= 2;
    }
  }
  const auto done = run.Last();
  EXPECT_EQ(done["skipped_steps"].get<int64_t>(), skipped);
  EXPECT_EQ(done["final_loss_scale"].get<double>(), scale);
  EXPECT_LT(skipped, static_cast<int64_t>(steps.size()));
  std::printf("fp16: %lld of %zu steps skipped, final scale %.0f, eval loss %.4f -> %.4f\n",
              static_cast<long long>(skipped), steps.size(), scale,
              done["base_eval_loss"].get<double>(), done["final_eval_loss"].get<double>());
  EXPECT_LT(done["final_eval_loss"].get<double>(), done["base_eval_loss"].get<double>());
}

TEST(Fp16LossScaling, LoraTrialOnTheCpuRecordsScalesAndLearns) {
  const auto run = RunOk(FullTrial(R"({"train": {"method": "lora", "steps": 12},
      "quantization": {"type": "nf4"}, "lora": {"r": 8}, "optim": {"lr": 0.01},
      "hardware": {"dtype": "fp16"}})"));
  EXPECT_EQ(run.events[1]["dtype"], "Half");
  ExpectScalerEvents(run);
}

TEST(Fp16LossScaling, FullTrialOnTheCpuRecordsScalesAndLearns) {
  const auto run = RunOk(FullTrial(R"({"train": {"steps": 12}, "optim": {"lr": 0.003},
      "hardware": {"dtype": "fp16"}})"));
  ExpectScalerEvents(run);
}

// An overflow inside a real step: with the scale started at 2^30 the fp16 gradients of the
// tiny model's first steps are inf, so those steps are skipped (no weight changes), the scale
// halves each time, and once it is small enough the steps go through and the weights move.
TEST(Fp16LossScaling, OverflowingStepsAreSkippedUntilTheScaleFits) {
  const auto cfg = FullTrial(R"({"train": {"steps": 40}, "hardware": {"dtype": "fp16"}})");
  Phase phase;
  TrialState s = SetupTrial(cfg, phase);
  ASSERT_NE(s.scaler, nullptr);
  s.scaler = std::make_unique<LossScaler>(LossScalerOptions{.init_scale = std::ldexp(1.0f, 30)});
  const auto snapshot = [&s] {
    std::vector<torch::Tensor> out;
    for (const auto& p : s.params) out.push_back(p.detach().clone());
    return out;
  };
  const auto changed = [](const std::vector<torch::Tensor>& a,
                          const std::vector<torch::Tensor>& b) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!torch::equal(a[i], b[i])) return true;
    }
    return false;
  };
  int64_t skipped = 0;
  double scale = std::ldexp(1.0, 30);
  for (int64_t step = 1; step <= cfg.train.steps; ++step) {
    const auto before = snapshot();
    const StepResult r = TrainStep(s, cfg, 1e-3, phase);
    EXPECT_EQ(r.loss_scale, scale) << step;
    EXPECT_EQ(changed(before, snapshot()), !r.skipped) << step;
    if (!r.skipped) break;
    EXPECT_FALSE(std::isfinite(r.grad_norm)) << step;
    ++skipped;
    scale /= 2;
    for (const auto& p : s.params) EXPECT_FALSE(p.grad().defined());  // dropped for the next
  }
  std::printf("skipped %lld steps from 2^30 down to a scale of %.0f\n",
              static_cast<long long>(skipped), scale);
  EXPECT_GE(skipped, 1);
  EXPECT_LT(skipped, cfg.train.steps);  // a scale that fits was reached
  EXPECT_EQ(s.scaler->Scale(), scale);
}

}  // namespace
}  // namespace qlsweep::trainer
