// Trial resolution: defaults, types, ranges, choices, unknown keys, cross-field rules, file:line.
#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/trial_file.h"
#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

using testing::Brief;
using testing::Describe;
using testing::HasIssue;
using testing::IssuesOf;

nlohmann::json J(const char* text) { return nlohmann::json::parse(text); }

std::vector<ConfigIssue> TrialIssues(const std::string& yaml) {
  return IssuesOf([&] { LoadTrialText(yaml, "t.yaml"); });
}

TEST(SweepsResolve, NestedAndDottedSpellingsAreTheSameTrial) {
  TrialConfig nested = ResolveTrial(J(R"({"lora": {"r": 8, "alpha": 16}, "train": {"steps": 5}})"));
  TrialConfig dotted = ResolveTrial(J(R"({"lora.r": 8, "lora.alpha": 16, "train.steps": 5})"));
  TrialConfig mixed = LoadTrialText("lora:\n  r: 8\nlora.alpha: 16\ntrain: {steps: 5}\n", "m.yaml");
  EXPECT_EQ(nested.lora.r, 8);
  EXPECT_DOUBLE_EQ(nested.lora.alpha, 16.0);
  EXPECT_EQ(nested.train.steps, 5);
  EXPECT_EQ(nested.id, dotted.id);
  EXPECT_EQ(nested.id, mixed.id);
  EXPECT_EQ(nested.resolved, mixed.resolved);
}

TEST(SweepsResolve, StringsWithYamlEscapesGetAnIdLikeTheirUtf8Spelling) {
  // "\_" is U+00A0 in YAML. Paths are checked and hashed into the id (JSON dumps of the config),
  // which threw nlohmann's type_error 316 while yaml-cpp's lone 0xA0 byte got through.
  const TrialConfig escaped =
      LoadTrialText("name: \"my\\_trial\"\ndata.path: \"d\\_.jsonl\"\n", "t.yaml");
  const TrialConfig literal =
      LoadTrialText("name: \"my\xc2\xa0trial\"\ndata.path: \"d\xc2\xa0.jsonl\"\n", "t.yaml");
  EXPECT_EQ(escaped.name, "my\xc2\xa0trial");
  EXPECT_EQ(escaped.data.path, "d\xc2\xa0.jsonl");
  EXPECT_EQ(escaped.id, literal.id);
}

TEST(SweepsResolve, FillsEveryTypedField) {
  TrialConfig t = LoadTrialText(R"(
name: my-trial
model: {weights: /w, tokenizer: /t}
quantization: {type: fp4, double_quant: false, block_size: 128, skip: [lm_head]}
lora: {r: 4, alpha: 8, dropout: 0.1, targets: [v, q]}
data: {source: jsonl, path: d.jsonl, seq_len: 256, eval_fraction: 0.1, prompt_template: chatml}
train: {steps: 30, micro_batch: 2, grad_accum: 4, max_grad_norm: 0.5, warmup_steps: 3,
        grad_checkpointing: false, seed: 7}
optim: {name: adamw_8bit, lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0.01}
eval: {interval: 10, sequences: 2}
hardware: {device: cuda, dtype: bf16, gpu_profile: rtx4050-laptop-6gb}
)",
                                "t.yaml");
  EXPECT_EQ(t.name, "my-trial");
  EXPECT_EQ(t.model.preset, "");  // real weights bring their own shapes: no preset recorded
  EXPECT_EQ(t.model.weights, "/w");
  EXPECT_EQ(t.model.tokenizer, "/t");
  EXPECT_EQ(t.quantization.type, "fp4");
  EXPECT_FALSE(t.quantization.double_quant);
  EXPECT_EQ(t.quantization.block_size, 128);
  EXPECT_EQ(t.quantization.skip, std::vector<std::string>{"lm_head"});
  EXPECT_EQ(t.lora.r, 4);
  EXPECT_DOUBLE_EQ(t.lora.alpha, 8.0);
  EXPECT_DOUBLE_EQ(t.lora.dropout, 0.1);
  EXPECT_EQ(t.lora.targets, (std::vector<std::string>{"q", "v"}));  // schema order
  EXPECT_EQ(t.data.source, "jsonl");
  EXPECT_EQ(t.data.path, "d.jsonl");
  EXPECT_EQ(t.data.seq_len, 256);
  EXPECT_DOUBLE_EQ(t.data.eval_fraction, 0.1);
  EXPECT_EQ(t.data.prompt_template, "chatml");
  EXPECT_EQ(t.train.steps, 30);
  EXPECT_EQ(t.train.micro_batch, 2);
  EXPECT_EQ(t.train.grad_accum, 4);
  EXPECT_DOUBLE_EQ(t.train.max_grad_norm, 0.5);
  EXPECT_EQ(t.train.warmup_steps, 3);
  EXPECT_FALSE(t.train.grad_checkpointing);
  EXPECT_EQ(t.train.seed, 7);
  EXPECT_EQ(t.optim.name, "adamw_8bit");
  EXPECT_DOUBLE_EQ(t.optim.lr, 1e-3);
  EXPECT_DOUBLE_EQ(t.optim.beta1, 0.8);
  EXPECT_DOUBLE_EQ(t.optim.beta2, 0.99);
  EXPECT_DOUBLE_EQ(t.optim.eps, 1e-6);
  EXPECT_DOUBLE_EQ(t.optim.weight_decay, 0.01);
  EXPECT_EQ(t.eval.interval, 10);
  EXPECT_EQ(t.eval.sequences, 2);
  EXPECT_EQ(t.hardware.device, "cuda");
  EXPECT_EQ(t.hardware.dtype, "bf16");
  EXPECT_EQ(t.hardware.gpu_profile, "rtx4050-laptop-6gb");
  EXPECT_EQ(t.resolved["lora"]["targets"], J(R"(["q", "v"])"));
}

TEST(SweepsResolve, NameDefaultsToTheId) {
  TrialConfig t = ResolveTrial(nlohmann::json::object());
  EXPECT_EQ(t.name, t.id);
  EXPECT_EQ(t.id.size(), 12u);
}

TEST(SweepsResolve, NumberKindsFollowTheKeyNotTheSpelling) {
  TrialConfig t = ResolveTrial(J(R"({"lora": {"r": 16.0, "alpha": 32}})"));
  EXPECT_TRUE(t.resolved["lora"]["r"].is_number_integer());
  EXPECT_TRUE(t.resolved["lora"]["alpha"].is_number_float());
  EXPECT_EQ(t.resolved["lora"]["alpha"].dump(), "32.0");
  TrialConfig neg_zero = ResolveTrial(J(R"({"optim": {"weight_decay": -0.0}})"));
  EXPECT_EQ(neg_zero.resolved["optim"]["weight_decay"].dump(), "0.0");
  EXPECT_EQ(neg_zero.id, ResolveTrial(nlohmann::json::object()).id);
}

TEST(SweepsResolve, TypeErrorsNameKeyLineAndBothTypes) {
  auto issues = TrialIssues(
      "lora:\n"
      "  r: 16.5\n"        // 2: fraction for an int key
      "  alpha: \"32\"\n"  // 3: quoted number for a float key
      "model:\n"
      "  preset: 7\n"  // 5: int for a string key
      "train:\n"
      "  grad_checkpointing: yes\n"  // 7: 'yes' is a string in YAML 1.2
      "  steps: [1, 2]\n"            // 8: list for an int key
      "quantization:\n"
      "  skip: lm_head\n"  // 10: string for a list key
      "  type: true\n");   // 11: bool for a string key
  ASSERT_EQ(issues.size(), 7u) << Describe(issues);
  EXPECT_EQ(issues[0].ToString(), "t.yaml:2: lora.r: expected an integer, got float 16.5");
  EXPECT_EQ(issues[1].ToString(), "t.yaml:3: lora.alpha: expected a number, got string '32'");
  EXPECT_EQ(issues[2].ToString(), "t.yaml:5: model.preset: expected a string, got integer 7");
  EXPECT_EQ(issues[3].ToString(),
            "t.yaml:7: train.grad_checkpointing: expected true or false, got string 'yes'");
  EXPECT_EQ(issues[4].ToString(), "t.yaml:8: train.steps: expected an integer, got a list");
  EXPECT_EQ(issues[5].ToString(),
            "t.yaml:10: quantization.skip: expected a list of strings, got string 'lm_head'");
  EXPECT_EQ(issues[6].ToString(),
            "t.yaml:11: quantization.type: expected a string, got boolean true");
}

TEST(SweepsResolve, RangeErrorsShowTheAllowedInterval) {
  // One bad value per line of one file, and the issue each line gives (after "LINE: ").
  const std::pair<std::string, std::string> cases[] = {
      {"lora.r: 0", "lora.r: must be in [1, 1024], got 0"},
      {"lora.dropout: 1.0", "lora.dropout: must be in [0, 1), got 1"},
      {"lora.alpha: 0", "lora.alpha: must be > 0, got 0"},
      {"data.eval_fraction: 0", "data.eval_fraction: must be in (0, 0.5], got 0"},
      {"data.seq_len: 200000", "data.seq_len: must be in [8, 131072], got 200000"},
      {"quantization.block_size: 100", "quantization.block_size: must be a power of 2, got 100"},
      {"optim.lr: .inf", "optim.lr: must be a finite number, got inf"},
      {"train.seed: -1", "train.seed: must be >= 0, got -1"},
      {"train.steps: 3000000000", "train.steps: must be at most 2147483647, got 3000000000"},
  };
  std::string yaml;
  for (const auto& [line, issue] : cases) yaml += line + "\n";
  const auto issues = TrialIssues(yaml);
  ASSERT_EQ(issues.size(), std::size(cases)) << Describe(issues);
  for (size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(Brief(issues[i]), std::to_string(i + 1) + ": " + cases[i].second);
  }
}

TEST(SweepsResolve, ChoiceErrorsListTheChoicesAndSuggestOne) {
  auto issues = TrialIssues(
      "model.preset: llama2_7b\n"
      "lora.targets: [q, x]\n"
      "quantization.skip: [norm, norm]\n"
      "lora:\n  targets: []\n");
  ASSERT_EQ(issues.size(), 4u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "1: model.preset: must be one of tiny, smollm2-135m, llama2-7b, llama2-13b, "
            "llama2-70b, llama3-8b; "
            "got 'llama2_7b'; did you mean 'llama2-7b'?");
  EXPECT_EQ(Brief(issues[1]),
            "2: lora.targets: each item must be one of q, k, v, o, gate, up, down; got 'x'");
  EXPECT_EQ(Brief(issues[2]), "3: quantization.skip: 'norm' is listed twice");
  EXPECT_EQ(Brief(issues[3]), "5: lora.targets: set twice (first at line 2)");
}

// A NUL in a path would cut it short where the system reads it (another file opened, silently);
// no string setting is more than one line of text.
TEST(SweepsResolve, ControlCharactersInStringsAreRefused) {
  auto issues = IssuesOf([] {
    ResolveTrial(J(R"({"data": {"source": "jsonl", "path": "a\u0000b.jsonl"}})"), "t.json");
  });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(issues[0].ToString(),
            "t.json: data.path: contains a control character (byte 0x00 at offset 1); names and "
            "paths are one line of printable text");
  issues = TrialIssues("name: \"my\\ttrial\"\nlora.targets: [q, \"v\\n\"]\n");
  ASSERT_EQ(issues.size(), 2u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]),
            "1: name: contains a control character (byte 0x09 at offset 2); names and paths are "
            "one line of printable text");
  EXPECT_EQ(Brief(issues[1]),
            "2: lora.targets: contains a control character (byte 0x0a at offset 1); names and "
            "paths are one line of printable text");
}

TEST(SweepsResolve, EmptyTargetListIsAnError) {
  auto issues = TrialIssues("lora.targets: []\nquantization.skip: []\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]), "1: lora.targets: must list at least 1 item");
}

TEST(SweepsResolve, UnknownKeysSuggestTheNearestValidKey) {
  auto issues = TrialIssues(
      "lora:\n"
      "  rank: 8\n"
      "train:\n"
      "  lr: 0.001\n"
      "loraa:\n"
      "  r: 4\n"
      "grid:\n"
      "  lora.r: [4]\n"
      "lora.r:\n"
      "  nested: 1\n"
      "optim: 3\n");
  ASSERT_EQ(issues.size(), 6u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]), "2: lora.rank: unknown key 'lora.rank'; did you mean 'lora.r'?");
  EXPECT_EQ(Brief(issues[1]), "4: train.lr: unknown key 'train.lr'; did you mean 'optim.lr'?");
  EXPECT_EQ(Brief(issues[2]), "5: loraa: unknown key 'loraa'; did you mean 'lora'?");
  EXPECT_EQ(Brief(issues[3]),
            "7: grid: unknown key 'grid' (a sweep-file key; it has no meaning here)");
  EXPECT_EQ(Brief(issues[4]), "9: lora.r: expected an integer, got a mapping");
  EXPECT_EQ(Brief(issues[5]), "11: optim: expected a mapping of optim.* keys, got integer 3");
}

TEST(SweepsResolve, WarmupMayNotExceedSteps) {
  auto issues = TrialIssues("train:\n  steps: 4\n  warmup_steps: 5\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(issues[0].ToString(),
            "t.yaml:3: train.warmup_steps: train.warmup_steps (5) may not exceed train.steps (4)");
  // Only steps set: the default warmup (2) exceeds it; the issue points at the steps line.
  auto defaults = TrialIssues("name: short\ntrain.steps: 1\n");
  ASSERT_EQ(defaults.size(), 1u) << Describe(defaults);
  EXPECT_EQ(Brief(defaults[0]),
            "2: train.warmup_steps: train.warmup_steps (2) may not exceed train.steps (1)");
  EXPECT_NO_THROW(LoadTrialText("train: {steps: 4, warmup_steps: 4}\n", "t.yaml"));
}

TEST(SweepsResolve, DataPathIsRequiredUnlessSynthetic) {
  auto issues = TrialIssues("data:\n  source: jsonl\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(Brief(issues[0]), "2: data.path: required when data.source is 'jsonl'");
  EXPECT_NO_THROW(LoadTrialText("data: {source: text, path: corpus.txt}\n", "t.yaml"));
}

TEST(SweepsResolve, AllIssuesComeTogetherInLineOrder) {
  auto issues = TrialIssues(
      "name: 5\n"
      "lora.r: 0\n"
      "optim.name: sgd\n"
      "bogus: 1\n"
      "data.seq_len: four\n");
  ASSERT_EQ(issues.size(), 5u) << Describe(issues);
  for (size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(issues[i].line, static_cast<int>(i) + 1) << Describe(issues);
    EXPECT_EQ(issues[i].file, "t.yaml");
  }
  EXPECT_TRUE(HasIssue(issues, 1, "name", "expected a non-empty string, got integer 5"));
  try {
    LoadTrialText("lora.r: 0\nbogus: 1\n", "t.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "t.yaml:1: lora.r: must be in [1, 1024], got 0\n"
                 "t.yaml:2: bogus: unknown key 'bogus'");
  }
}

TEST(SweepsResolve, TrialDocumentRoundTripsAndIdIsChecked) {
  TrialConfig t = ResolveTrial(J(R"({"name": "r8", "lora": {"r": 8}})"));
  EXPECT_EQ(t.name, "r8");
  nlohmann::json doc = TrialDocument(t);
  EXPECT_EQ(doc["id"], t.id);
  TrialConfig back = LoadTrialText(doc.dump(2), "trial.json");
  EXPECT_EQ(back.id, t.id);
  EXPECT_EQ(back.name, "r8");
  EXPECT_EQ(back.resolved, t.resolved);

  doc["lora"]["r"] = 9;  // edited by hand, id left stale
  auto issues = IssuesOf([&] { LoadTrialText(doc.dump(2), "trial.json"); });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(issues[0].key, "id");
  EXPECT_GT(issues[0].line, 0);
  EXPECT_NE(issues[0].message.find("does not match the config"), std::string::npos);
}

TEST(SweepsResolve, LoadTrialFileReadsYamlAndJsonFilesWithLines) {
  qlsweep::testing::ScratchDir dir;
  std::string yaml = dir.Write("t.yaml", "name: a\nlora:\n  r: 8\n");
  EXPECT_EQ(LoadTrialFile(yaml).lora.r, 8);
  std::string json = dir.Write("t.json", "{\n  \"lora\": {\n    \"r\": 2000\n  }\n}\n");
  auto issues = IssuesOf([&] { LoadTrialFile(json); });
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_EQ(issues[0].ToString(), json + ":3: lora.r: must be in [1, 1024], got 2000");
  auto missing = IssuesOf([&] { LoadTrialFile(dir.Write("x", "") + ".nope"); });
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].message, "no such file");
}

TEST(SweepsResolve, ResolveTrialOnJsonLabelsIssuesWithTheFileButNoLine) {
  auto issues = IssuesOf([] { ResolveTrial(J(R"({"lora": {"r": -1}})"), "sweep.db"); });
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(), "sweep.db: lora.r: must be in [1, 1024], got -1");
}

TEST(SweepsResolve, NonMappingDocumentIsAnIssue) {
  auto issues = TrialIssues("- lora.r: 4\n");
  ASSERT_EQ(issues.size(), 1u) << Describe(issues);
  EXPECT_NE(issues[0].message.find("expected a mapping of trial keys"), std::string::npos);
}

}  // namespace
}  // namespace qlsweep::sweeps
