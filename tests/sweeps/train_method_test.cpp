// train.method, the fp16 and offload rules: full fine-tuning's cross rules, its ignored lora keys,
// old ids.
#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/trial_id.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Brief;
using testing::Describe;
using testing::IssuesOf;

std::vector<ConfigIssue> TrialIssues(const std::string& yaml) {
  return IssuesOf([&] { LoadTrialText(yaml, "t.yaml"); });
}

TEST(SweepsTrainMethod, DefaultIsLoraAndLeavesOldIdsAlone) {
  const auto plain = ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}})"));
  EXPECT_EQ(plain.train.method, "lora");
  EXPECT_EQ(CanonicalJson(plain.resolved).find("method"), std::string::npos);
  const auto spelled =
      ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}, "train": {"method": "lora"}})"));
  EXPECT_EQ(spelled.id, plain.id);
}

TEST(SweepsTrainMethod, FullNeedsA16BitBaseAndOneGpuAndSaysSo) {
  auto issues = TrialIssues("train.method: full\n");  // quantization.type defaults to nf4
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "1: quantization.type: train.method full trains every weight in 16-bit: set "
            "quantization.type to none (it is 'nf4')");
  issues = TrialIssues("train.method: full\nquantization.type: none\nhardware.gpus: 2\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(
      Brief(issues[0]),
      "3: hardware.gpus: train.method full runs on one GPU: set hardware.gpus to 1 (it is 2)");
  issues = TrialIssues("train.method: full\nquantization.type: none\nlora.init: /a\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "3: lora.init: train.method full has no adapter to start from: remove lora.init");
  const auto full = LoadTrialText("train.method: full\nquantization.type: none\n", "t.yaml");
  EXPECT_EQ(full.train.method, "full");
  EXPECT_NE(CanonicalJson(full.resolved).find("\"method\":\"full\""), std::string::npos);
}

TEST(SweepsTrainMethod, FullIgnoresLoraKeysAndRecordsTheirDefaults) {
  const auto a = LoadTrialText(
      "train.method: full\nquantization.type: none\nlora: {r: 4, alpha: 8, dropout: 0.2, "
      "targets: [q]}\n",
      "t.yaml");
  const auto b = LoadTrialText("train.method: full\nquantization.type: none\n", "t.yaml");
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.resolved, b.resolved);
  EXPECT_EQ(a.lora.r, 16);  // the schema's defaults
  EXPECT_EQ(a.lora.targets.size(), 7u);
  // A LoRA trial keeps its lora keys.
  EXPECT_EQ(LoadTrialText("lora.r: 4\n", "t.yaml").lora.r, 4);
}

TEST(SweepsTrainMethod, SweepOverMethodAndRankHasOneFullTrial) {
  const auto s = LoadSweepText(
      "name: m\nbase: {quantization.type: none}\ngrid:\n  train.method: [lora, full]\n"
      "  lora.r: [8, 16]\n",
      "s.yaml");
  ASSERT_EQ(s.trials.size(), 3u);
  EXPECT_EQ(s.trials[0].name, "train.method=lora,lora.r=8");
  EXPECT_EQ(s.trials[1].name, "train.method=lora,lora.r=16");
  // Named without the ignored lora.r; its r=16 twin is the same trial, merged into it.
  EXPECT_EQ(s.trials[2].name, "train.method=full");
  EXPECT_EQ(s.trials[2].train.method, "full");
}

TEST(SweepsTrainMethod, AFullReferenceIsNamedWithoutTheLoraKeys) {
  const auto s = LoadSweepText(
      "name: m\nbase: {quantization.type: none}\nreference: train.method=full\ngrid:\n"
      "  train.method: [full, lora]\n  lora.r: [4, 8]\n",
      "s.yaml");
  ASSERT_EQ(s.trials.size(), 3u);
  EXPECT_EQ(s.trials[0].name, "train.method=full");
  EXPECT_EQ(s.reference, "train.method=full");
}

TEST(SweepsTrainMethod, Fp16IsOneGpuOnly) {
  auto issues = TrialIssues("hardware: {dtype: fp16, gpus: 2}\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "1: hardware.dtype: fp16 (dynamic loss scaling) runs on one GPU only; use bf16 for "
            "hardware.gpus 2");
  EXPECT_NO_THROW(LoadTrialText("hardware: {dtype: fp16}\n", "t.yaml"));
}

TEST(SweepsTrainMethod, OffloadNeedsCheckpointingAndLeavesOldIdsAlone) {
  const auto plain = ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}})"));
  EXPECT_FALSE(plain.train.offload_activations);
  EXPECT_EQ(CanonicalJson(plain.resolved).find("offload"), std::string::npos);
  const auto on = ResolveTrial(
      nlohmann::json::parse(R"({"lora": {"r": 8}, "train": {"offload_activations": true}})"));
  EXPECT_TRUE(on.train.offload_activations);
  EXPECT_NE(on.id, plain.id);
  auto issues = TrialIssues("train:\n  grad_checkpointing: false\n  offload_activations: true\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "3: train.offload_activations: offloads the inputs that checkpointing saves: set "
            "train.grad_checkpointing to true");
}

TEST(SweepsTrainMethod, KeptAttentionNeedsCheckpointingAndLeavesOldIdsAlone) {
  const auto plain = ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}})"));
  EXPECT_TRUE(plain.train.recompute_attention);
  EXPECT_EQ(CanonicalJson(plain.resolved).find("recompute"), std::string::npos);
  const auto kept = ResolveTrial(
      nlohmann::json::parse(R"({"lora": {"r": 8}, "train": {"recompute_attention": false}})"));
  EXPECT_FALSE(kept.train.recompute_attention);
  EXPECT_NE(kept.id, plain.id);
  auto issues = TrialIssues("train:\n  recompute_attention: false\n  grad_checkpointing: false\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "2: train.recompute_attention: false keeps attention's tensors that checkpointing "
            "would recompute: set train.grad_checkpointing to true (without it nothing is "
            "recomputed)");
}

// ZeRO-3 releases a layer's base after its forward and gathers it again only for the
// checkpointed recompute (the sharded trial failed in backward without checkpointing: "start (0)
// + length (11264) exceeds dimension size (0)"); one GPU or another stage is not concerned.
TEST(SweepsTrainMethod, ZeroStage3NeedsCheckpointing) {
  auto issues =
      TrialIssues("hardware.gpus: 2\ndistributed.zero_stage: 3\ntrain.grad_checkpointing: false\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "2: distributed.zero_stage: stage 3 gathers a layer's sharded base only for its "
            "forward pass and its checkpointed recompute, so it needs train.grad_checkpointing "
            "true (or use stage 2)");
  EXPECT_NO_THROW(LoadTrialText(
      "hardware.gpus: 2\ndistributed.zero_stage: 2\ntrain.grad_checkpointing: false\n", "t.yaml"));
  EXPECT_NO_THROW(LoadTrialText("hardware.gpus: 2\ndistributed.zero_stage: 3\n", "t.yaml"));
}

TEST(SweepsTrainMethod, OffloadedEmbeddingsNeedA16BitUntiedTableAndLoraAndSaySo) {
  const auto plain = ResolveTrial(nlohmann::json::parse(R"({"model": {"preset": "llama2-7b"}})"));
  EXPECT_FALSE(plain.train.offload_embeddings);
  EXPECT_EQ(CanonicalJson(plain.resolved).find("offload_embeddings"), std::string::npos);
  EXPECT_NO_THROW(
      LoadTrialText("model.preset: llama2-7b\ntrain.offload_embeddings: true\n", "t.yaml"));
  auto issues = TrialIssues("model.preset: smollm2-135m\ntrain.offload_embeddings: true\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "2: train.offload_embeddings: model.preset smollm2-135m ties its embeddings to the "
            "output layer, which the loss needs on the GPU: set train.offload_embeddings to false");
  issues = TrialIssues(
      "model.preset: llama2-7b\nquantization.skip: [norm]\ntrain.offload_embeddings: true\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "3: train.offload_embeddings: needs a 16-bit embedding table: keep 'embed' in "
            "quantization.skip");
  issues = TrialIssues(
      "model.preset: llama2-7b\ntrain.method: full\nquantization.type: none\n"
      "train.offload_embeddings: true\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "4: train.offload_embeddings: train.method full trains the embedding table on the "
            "GPU: set train.offload_embeddings to false");
}

}  // namespace
}  // namespace qlsweep::sweeps
