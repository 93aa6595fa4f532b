// RunTrial on real inputs: checkpoint weights (GGUF, HF) and data files, and their clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sweeps/load.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using qlsweep::testing::RecordingSink;

std::string Asset(const std::string& rest) { return std::string(QLSWEEP_SOURCE_DIR) + "/" + rest; }

sweeps::TrialConfig Trial(const std::string& weights, const std::string& source,
                          const std::string& data, const std::string& tokenizer = "") {
  auto cfg = sweeps::ResolveTrial(nlohmann::json::parse(R"({
      "quantization": {"type": "nf4"}, "data": {"seq_len": 32, "eval_fraction": 0.2},
      "train": {"steps": 3, "micro_batch": 2, "warmup_steps": 1},
      "optim": {"name": "adamw_8bit", "lr": 0.003}, "eval": {"sequences": 2},
      "hardware": {"device": "cpu"}})"));
  cfg.model.weights = weights;
  cfg.model.tokenizer = tokenizer;
  cfg.data.source = source;
  cfg.data.path = data;
  return cfg;
}

TEST(TrialInputs, GgufWeightsQuantizedOnLoadTrainOnPreTokenizedData) {
  RecordingSink sink;
  const auto cfg = Trial(Asset("tests/assets/gguf/tiny-llama.gguf"), "tokens",
                         Asset("tests/assets/data/tokens.jsonl"));
  ASSERT_EQ(RunTrial(cfg, sink), kExitDone) << sink.Last().dump();
  EXPECT_TRUE(std::isfinite(sink.Last()["final_eval_loss"].get<double>()));
  EXPECT_GT(sink.Last()["trainable_params"].get<int64_t>(), 0);
}

TEST(TrialInputs, TokenizerLargerThanTheModelVocabularyIsAConfigError) {
  RecordingSink sink;
  const auto cfg = Trial(Asset("tests/assets/hf-tiny/untied"), "text",
                         Asset("tests/assets/data/fortunes-literature.txt"),
                         Asset("../shared/data/tokenizers/llama2/tokenizer.json"));
  EXPECT_EQ(RunTrial(cfg, sink), kExitConfig);
  EXPECT_EQ(sink.Last()["event"], "error");
  EXPECT_NE(sink.Last()["message"].get<std::string>().find("32000"), std::string::npos)
      << sink.Last().dump();
}

TEST(TrialInputs, EmptyEvalSplitIsAConfigErrorNamingTheFile) {
  RecordingSink sink;
  auto cfg = Trial("", "tokens", Asset("tests/assets/data/tokens.jsonl"));
  cfg.data.eval_fraction = 1e-9;  // no document hashes under it
  EXPECT_EQ(RunTrial(cfg, sink), kExitConfig);
  const auto message = sink.Last()["message"].get<std::string>();
  EXPECT_NE(message.find("tokens.jsonl: the eval split is empty"), std::string::npos) << message;
}

TEST(TrialInputs, MissingWeightsNameThePath) {
  RecordingSink sink;
  const auto cfg = Trial("/nonexistent/model.gguf", "synthetic", "");
  EXPECT_EQ(RunTrial(cfg, sink), kExitConfig);
  EXPECT_NE(sink.Last()["message"].get<std::string>().find("/nonexistent/model.gguf"),
            std::string::npos)
      << sink.Last().dump();
}

}  // namespace
}  // namespace qlsweep::trainer
