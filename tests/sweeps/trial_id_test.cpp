// Trial ids: FNV-1a, canonical text, stability under reordering and equivalent spellings.
#include "sweeps/trial_id.h"

#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/schema.h"

namespace qlsweep::sweeps {
namespace {

TEST(SweepsTrialId, Fnv1a64MatchesPublishedVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(SweepsTrialId, IdIsTheFirst12HexDigitsOfTheHashOfTheCanonicalText) {
  TrialConfig t = ResolveTrial(nlohmann::json::object());
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(Fnv1a64(CanonicalJson(t.resolved))));
  EXPECT_EQ(t.id, std::string(hex, 12));
  EXPECT_EQ(TrialId(t.resolved), t.id);
}

// Pinned so that an accidental change of the canonical form (number printing, key order, a new
// default) shows up as a failing test rather than as silently re-run sweeps.
TEST(SweepsTrialId, CanonicalTextOfTheDefaultsIsPinned) {
  TrialConfig t = ResolveTrial(nlohmann::json::object());
  EXPECT_EQ(
      CanonicalJson(t.resolved),
      R"({"data":{"eval_fraction":0.05,"path":"","prompt_template":"alpaca","seq_len":512,)"
      R"("source":"synthetic"},"eval":{"interval":0,"sequences":8},)"
      R"("hardware":{"device":"auto","dtype":"auto","gpu_profile":""},)"
      R"("lora":{"alpha":32.0,"dropout":0.05,"init":"","r":16,)"
      R"("targets":["q","k","v","o","gate","up","down"]},)"
      R"("model":{"preset":"tiny","tokenizer":"","weights":""},)"
      R"("optim":{"beta1":0.9,"beta2":0.999,"eps":1e-08,"lr":0.0002,"name":"paged_adamw_8bit",)"
      R"("weight_decay":0.0},)"
      R"("quantization":{"block_size":64,"double_quant":true,"skip":["embed","norm","lm_head"],)"
      R"("type":"nf4"},)"
      R"("train":{"grad_accum":1,"grad_checkpointing":true,"max_grad_norm":1.0,)"
      R"("micro_batch":1,"seed":0,"steps":20,"warmup_steps":2}})");
  EXPECT_EQ(t.id, TrialId(t.resolved));
}

TEST(SweepsTrialId, StableUnderKeyReorderingAndEquivalentSpellings) {
  TrialConfig a = LoadTrialText(
      "lora:\n  r: 8\n  alpha: 32\n  targets: [q, v]\ntrain:\n  steps: 10\noptim:\n  lr: 2e-4\n",
      "a.yaml");
  TrialConfig b = LoadTrialText(
      "optim.lr: 0.0002\ntrain: {steps: 10.0}\nlora: {targets: [v, q], alpha: 32.0, r: 8}\n",
      "b.yaml");
  TrialConfig c = ResolveTrial(nlohmann::json::parse(
      R"({"train": {"steps": 10}, "lora": {"alpha": 3.2e1, "r": 8, "targets": ["q", "v"]},
          "optim": {"lr": 0.0002}, "name": "other name"})"));
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.id, c.id);
  EXPECT_EQ(CanonicalJson(a.resolved), CanonicalJson(c.resolved));
}

TEST(SweepsTrialId, DefaultsWrittenOutGiveTheSameIdAsLeftOut) {
  TrialConfig implicit = LoadTrialText("lora.r: 8\n", "a.yaml");
  TrialConfig explicit_ =
      LoadTrialText("lora.r: 8\nlora.alpha: 32\nmodel.preset: tiny\n", "b.yaml");
  EXPECT_EQ(implicit.id, explicit_.id);
}

TEST(SweepsTrialId, AnyChangedValueChangesTheId) {
  const std::string base = ResolveTrial(nlohmann::json::object()).id;
  for (const char* change : {R"({"lora.r": 8})", R"({"lora.alpha": 32.5})",
                             R"({"optim.lr": 0.00021})", R"({"lora.targets": ["q"]})",
                             R"({"hardware.gpu_profile": "t4-16gb"})", R"({"train.seed": 1})"}) {
    EXPECT_NE(ResolveTrial(nlohmann::json::parse(change)).id, base) << change;
  }
}

TEST(SweepsTrialId, SweepTrialEqualsTheSameTrialWrittenByHand) {
  ExpandedSweep sweep = DefaultSweep();
  ASSERT_EQ(sweep.trials.size(), 3u);
  TrialConfig by_hand = LoadTrialText(R"(
eval: {sequences: 2, interval: 8}
optim: {name: adamw, lr: 0.01}
train: {micro_batch: 4, steps: 24}
data: {seq_len: 64, source: synthetic}
quantization: {type: none}
lora: {r: 8}
model: {preset: tiny}
)",
                                      "by-hand.yaml");
  EXPECT_EQ(sweep.trials[1].name, "lora.r=8");
  EXPECT_EQ(sweep.trials[1].id, by_hand.id);
}

TEST(SweepsTrialId, FlattenParamsGivesOneJsonTextPerDottedKey) {
  TrialConfig t = ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}})"));
  auto params = FlattenParams(t.resolved);
  // Every schema key, the later-added ones (train.method, ...) included.
  EXPECT_EQ(params.size(), Schema().size());
  EXPECT_EQ(params.at("lora.r"), "8");
  EXPECT_EQ(params.at("lora.alpha"), "32.0");
  EXPECT_EQ(params.at("model.preset"), "\"tiny\"");
  EXPECT_EQ(params.at("quantization.double_quant"), "true");
  EXPECT_EQ(params.at("quantization.skip"), R"(["embed","norm","lm_head"])");
  EXPECT_EQ(params.at("optim.eps"), "1e-08");
  EXPECT_EQ(params.at("train.method"), "\"lora\"");
}

}  // namespace
}  // namespace qlsweep::sweeps

namespace qlsweep::sweeps {
namespace {

// Keys added after ids were first recorded stay out of the canonical text at their default, so a
// runs.db of an earlier version resumes; any other value is part of the id.
TEST(SweepsTrialId, KeysAddedLaterLeaveOldIdsAloneAtTheirDefault) {
  const auto plain = ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}})"));
  EXPECT_EQ(CanonicalJson(plain.resolved).find("gpus"), std::string::npos);
  EXPECT_EQ(CanonicalJson(plain.resolved).find("distributed"), std::string::npos);
  const auto same = ResolveTrial(nlohmann::json::parse(
      R"({"lora": {"r": 8}, "hardware": {"gpus": 1}, "distributed": {"zero_stage": 0}})"));
  EXPECT_EQ(same.id, plain.id);
  const auto two =
      ResolveTrial(nlohmann::json::parse(R"({"lora": {"r": 8}, "hardware": {"gpus": 2}})"));
  const auto stage = ResolveTrial(
      nlohmann::json::parse(R"({"lora": {"r": 8}, "distributed": {"zero_stage": 2}})"));
  EXPECT_NE(two.id, plain.id);
  EXPECT_NE(stage.id, plain.id);
  EXPECT_NE(stage.id, two.id);
}

}  // namespace
}  // namespace qlsweep::sweeps
