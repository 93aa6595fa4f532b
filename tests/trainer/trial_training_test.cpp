// Whole trials on the CPU: reproducibility, overfitting a tiny data set, adapters saved and loaded
// back, and an evaluation that does not depend on the micro-batch.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sweeps/load.h"
#include "tests/support/scratch.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/train/step_profile.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using nlohmann::json;

using qlsweep::testing::RecordingSink;

std::string Asset(const std::string& rest) { return std::string(QLSWEEP_SOURCE_DIR) + "/" + rest; }

std::string ScratchDir(const std::string& name) {
  return qlsweep::testing::ScratchPath("trials/" + name);
}

// A tiny NF4 QLoRA trial on synthetic data, fp32 on the CPU.
sweeps::TrialConfig TinyTrial(const std::string& extra = "{}") {
  auto config = json::parse(R"({
      "model": {"preset": "tiny"}, "data": {"seq_len": 32},
      "train": {"steps": 6, "micro_batch": 4, "warmup_steps": 1},
      "lora": {"r": 8, "dropout": 0.1}, "optim": {"name": "adamw_8bit", "lr": 0.02},
      "eval": {"sequences": 6}, "hardware": {"device": "cpu"}})");
  config.merge_patch(json::parse(extra));
  return sweeps::ResolveTrial(config);
}

RecordingSink RunOk(const sweeps::TrialConfig& cfg, const TrialOutputs& outputs = {}) {
  RecordingSink sink;
  EXPECT_EQ(RunTrial(cfg, sink, outputs), kExitDone) << sink.Last().dump();
  return sink;
}

// Progress events announce the slow parts before the first step: loading, then the base eval.
TEST(TrialTraining, ProgressEventsComeBeforeLoadingAndTheBaseEval) {
  const auto sink = RunOk(TinyTrial(R"({"train": {"steps": 1, "warmup_steps": 0}})"));
  std::vector<std::string> kinds;
  for (const auto& e : sink.events) kinds.push_back(e["event"]);
  ASSERT_GE(kinds.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(kinds.begin(), kinds.begin() + 4),
            (std::vector<std::string>{"progress", "started", "progress", "eval"}));
  EXPECT_EQ(sink.events[0]["phase"], "load");
  EXPECT_EQ(sink.events[2]["phase"], "eval");
  EXPECT_EQ(sink.events[2]["base"], true);
  EXPECT_EQ(sink.events[2]["sequences"], sink.events[3]["sequences"]);
}

TEST(TrialTraining, SameSeedGivesTheSameLossesAndAnotherSeedDoesNot) {
  const auto a = RunOk(TinyTrial());
  const auto b = RunOk(TinyTrial());
  ASSERT_EQ(a.Losses().size(), 6u);
  EXPECT_EQ(a.Losses(), b.Losses());  // bit-identical: the CPU kernels are deterministic
  EXPECT_EQ(a.Last()["final_eval_loss"], b.Last()["final_eval_loss"]);
  const auto c = RunOk(TinyTrial(R"({"train": {"seed": 1}})"));
  EXPECT_NE(a.Losses(), c.Losses());
}

// ~300 random token ids (tests/assets/data/tokens.jsonl) in rows of 32: nothing to generalise, so
// a falling training loss is memorisation. Observed final loss: see the test log.
TEST(TrialTraining, TinyModelOverfitsATinyDataSet) {
  const auto cfg = TinyTrial(R"({
      "data": {"source": "tokens", "seq_len": 32, "eval_fraction": 0.2, "path": ")" +
                             Asset("tests/assets/data/tokens.jsonl") + R"("},
      "train": {"steps": 200, "micro_batch": 4, "warmup_steps": 5, "max_grad_norm": 0},
      "lora": {"r": 32, "alpha": 64, "dropout": 0.0}, "optim": {"name": "adamw", "lr": 0.01}})");
  const auto run = RunOk(cfg);
  ASSERT_EQ(run.Losses().size(), 200u);
  std::printf("training loss %.4f -> %.4f (ln 512 = %.4f)\n", run.Losses().front(),
              run.Losses().back(), std::log(512.0));
  EXPECT_GT(run.Losses().front(), 5.5);  // random tokens: about ln(512) at the start
  EXPECT_LT(run.Losses().back(), 0.5);   // stated bound: memorised
}

TEST(TrialTraining, SavedAdapterLoadsBackWithTheSameEvalLoss) {
  const std::string dir = ScratchDir("adapter");
  const auto trained = RunOk(TinyTrial(), {.adapter_dir = dir});
  const double trained_loss = trained.Last()["final_eval_loss"].get<double>();
  EXPECT_LT(trained_loss, trained.Last()["base_eval_loss"].get<double>());

  // Evaluation only (0 steps) from the saved adapter.
  auto reload = TinyTrial(R"({"train": {"steps": 0, "warmup_steps": 0}})");
  reload.lora.init = dir;
  const auto evaluated = RunOk(reload);
  EXPECT_EQ(evaluated.Losses().size(), 0u);
  EXPECT_NEAR(evaluated.Last()["final_eval_loss"].get<double>(), trained_loss, 1e-9);
  EXPECT_NEAR(evaluated.Last()["base_eval_loss"].get<double>(),
              trained.Last()["base_eval_loss"].get<double>(), 1e-9);  // adapters off: the base

  // Further training from it goes on lowering the loss.
  auto more = TinyTrial();
  more.lora.init = dir;
  const auto continued = RunOk(more);
  EXPECT_LT(continued.Last()["final_eval_loss"].get<double>(), trained_loss);

  // An adapter of another rank is refused before training, naming the file.
  auto wrong = TinyTrial(R"({"lora": {"r": 4}})");
  wrong.lora.init = dir;
  RecordingSink sink;
  EXPECT_EQ(RunTrial(wrong, sink), kExitConfig);
  EXPECT_NE(sink.Last()["message"].get<std::string>().find("adapter_config.json: r is 8"),
            std::string::npos)
      << sink.Last().dump();
}

TEST(TrialTraining, EvaluationUsesTheSameSequencesWhateverTheMicroBatch) {
  const auto one = RunOk(TinyTrial(R"({"train": {"micro_batch": 1, "steps": 1}})"));
  const auto four = RunOk(TinyTrial(R"({"train": {"micro_batch": 4, "steps": 1}})"));
  EXPECT_EQ(one.Last()["eval_sequences"], 6);
  EXPECT_EQ(four.Last()["eval_sequences"], 6);
  // Same rows, other batch shapes: equal up to float32 summation order.
  EXPECT_NEAR(one.Last()["base_eval_loss"].get<double>(),
              four.Last()["base_eval_loss"].get<double>(), 1e-5);
}

// The seed report's "accumulation 1x16 equals batch 16": both read the same 16 rows per step (a
// data source's rows are a stream that does not depend on the micro-batch) and weight each
// micro-batch's loss by its share of the step's tokens, so the updates are the same up to float32
// summation order. Without dropout: its masks are drawn per micro-batch shape.
TEST(TrialTraining, AccumulationOf16EqualsABatchOf16) {
  for (const char* data :
       {R"({"source": "synthetic"})", R"({"source": "tokens", "eval_fraction": 0.2, "path": ")"}) {
    std::string source = data;
    if (source.find("tokens") != std::string::npos) {
      source += Asset("tests/assets/data/tokens.jsonl") + "\"}";
    }
    const auto trial = [&](int micro, int accum) {
      return TinyTrial(R"({"data": )" + source + R"(, "lora": {"dropout": 0.0},
          "train": {"steps": 3, "micro_batch": )" +
                       std::to_string(micro) + R"(, "grad_accum": )" + std::to_string(accum) +
                       "}}");
    };
    const auto accumulated = RunOk(trial(1, 16));
    const auto batched = RunOk(trial(16, 1));
    ASSERT_EQ(accumulated.Losses().size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(accumulated.Losses()[i], batched.Losses()[i], 1e-5 * batched.Losses()[i])
          << source << " step " << i + 1;
    }
    EXPECT_NEAR(accumulated.Last()["final_eval_loss"].get<double>(),
                batched.Last()["final_eval_loss"].get<double>(), 1e-5)
        << source;
  }
}

// QLSWEEP_PROFILE_DIR profiles the chosen step only and writes its table (and trace) there; on
// the CPU the table has no GPU time but the same layout, and QLSWEEP_PROFILE_MEMORY (the CUDA
// allocator's history) writes nothing. KernelGroup sorts real kernel names, as
// an H200 trace of a 7B step spells them.
TEST(TrialTraining, ProfileEnvironmentWritesTheChosenStepsKernelTable) {
  const auto dir = ScratchDir("profile");
  std::filesystem::remove_all(dir);
  setenv("QLSWEEP_PROFILE_DIR", dir.c_str(), 1);
  setenv("QLSWEEP_PROFILE_STEP", "2", 1);
  setenv("QLSWEEP_PROFILE_TRACE", "1", 1);
  setenv("QLSWEEP_PROFILE_MEMORY", "1", 1);
  RunOk(TinyTrial(R"({"train": {"steps": 3}})"));
  unsetenv("QLSWEEP_PROFILE_DIR");
  unsetenv("QLSWEEP_PROFILE_STEP");
  unsetenv("QLSWEEP_PROFILE_TRACE");
  unsetenv("QLSWEEP_PROFILE_MEMORY");
  std::ifstream table(dir + "/step2-kernels.md");
  ASSERT_TRUE(table) << dir;
  std::stringstream text;
  text << table.rdbuf();
  EXPECT_EQ(text.str().rfind("Step 2: wall ", 0), 0u) << text.str();
  EXPECT_NE(text.str().find("| group | ms | share of GPU time | launches |"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/step2-trace.json"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/step1-kernels.md"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/step3-kernels.md"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/step2-memory.pickle"));

  EXPECT_EQ(KernelGroup("nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NNT"), "GEMM");
  EXPECT_EQ(KernelGroup("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64"), "GEMM");
  EXPECT_EQ(KernelGroup("void pytorch_flash::flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<>"),
            "attention");
  EXPECT_EQ(KernelGroup("void qlsweep::trainer::Dequantize4bitVec8Kernel<__nv_bfloat16>()"),
            "4-bit dequantize");
  EXPECT_EQ(KernelGroup("void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float>>"),
            "reduction");
  EXPECT_EQ(KernelGroup("void at::native::vectorized_elementwise_kernel<4, MulFunctor<float>>"),
            "elementwise");
  EXPECT_EQ(KernelGroup("Memcpy DtoH (Device -> Pinned)"), "copy / convert");
  EXPECT_EQ(KernelGroup("void AdamW8bitBlockKernel<float>()"), "optimizer");
  EXPECT_EQ(KernelGroup("some_kernel"), "other");
}

}  // namespace
}  // namespace qlsweep::trainer
