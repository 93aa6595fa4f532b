// The schema table: shape of the keys, defaults as documented, defaults that pass their own checks.
#include "sweeps/schema.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "sweeps/load.h"
#include "sweeps/schema_doc.h"
#include "sweeps/value_check.h"

namespace qlsweep::sweeps {
namespace {

TEST(SweepsSchema, KeysAreSectionDotLeafUniqueAndGroupedBySection) {
  std::set<std::string> keys;
  std::set<std::string> closed_sections;
  std::string current;
  for (const auto& spec : Schema()) {
    EXPECT_EQ(std::count(spec.key.begin(), spec.key.end(), '.'), 1) << spec.key;
    EXPECT_TRUE(keys.insert(spec.key).second) << "duplicate key " << spec.key;
    EXPECT_FALSE(spec.doc.empty()) << spec.key;
    if (spec.Section() != current) {
      EXPECT_TRUE(closed_sections.insert(current).second || current.empty())
          << "section " << current << " is split";
      EXPECT_EQ(closed_sections.count(spec.Section()), 0u)
          << "section " << spec.Section() << " appears twice";
      current = spec.Section();
    }
  }
  EXPECT_EQ(Sections(), (std::vector<std::string>{"model", "quantization", "lora", "data", "train",
                                                  "optim", "eval", "hardware", "distributed"}));
}

TEST(SweepsSchema, EveryDefaultPassesItsOwnCheckAndIsCanonical) {
  for (const auto& spec : Schema()) {
    CheckedValue checked = CheckValue(spec, spec.default_value);
    EXPECT_EQ(checked.error, "") << spec.key;
    EXPECT_EQ(checked.value.dump(), spec.default_value.dump()) << spec.key;
  }
}

TEST(SweepsSchema, DefaultsAreTheDocumentedOnes) {
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "model": {"preset": "tiny", "weights": "", "tokenizer": ""},
    "quantization": {"type": "nf4", "double_quant": true, "block_size": 64,
                     "skip": ["embed", "norm", "lm_head"]},
    "lora": {"r": 16, "alpha": 32.0, "dropout": 0.05, "init": "",
             "targets": ["q", "k", "v", "o", "gate", "up", "down"]},
    "data": {"source": "synthetic", "path": "", "seq_len": 512, "eval_fraction": 0.05,
             "prompt_template": "alpaca"},
    "train": {"steps": 20, "micro_batch": 1, "grad_accum": 1, "max_grad_norm": 1.0,
              "warmup_steps": 2, "grad_checkpointing": true, "seed": 0, "method": "lora",
              "offload_activations": false, "offload_embeddings": false,
              "recompute_attention": true},
    "optim": {"name": "paged_adamw_8bit", "lr": 0.0002, "beta1": 0.9, "beta2": 0.999,
              "eps": 1e-8, "weight_decay": 0.0},
    "eval": {"interval": 0, "sequences": 8},
    "hardware": {"device": "auto", "dtype": "auto", "gpu_profile": "", "gpus": 1,
                 "host_memory_mib": 0},
    "distributed": {"zero_stage": 0}
  })");
  TrialConfig t = ResolveTrial(nlohmann::json::object());
  EXPECT_EQ(t.resolved.dump(), expected.dump());
  EXPECT_EQ(t.model.preset, "tiny");
  EXPECT_EQ(t.quantization.type, "nf4");
  EXPECT_TRUE(t.quantization.double_quant);
  EXPECT_EQ(t.quantization.block_size, 64);
  EXPECT_EQ(t.lora.r, 16);
  EXPECT_DOUBLE_EQ(t.lora.alpha, 32.0);
  EXPECT_EQ(t.lora.targets.size(), 7u);
  EXPECT_EQ(t.data.seq_len, 512);
  EXPECT_EQ(t.train.warmup_steps, 2);
  EXPECT_EQ(t.optim.name, "paged_adamw_8bit");
  EXPECT_DOUBLE_EQ(t.optim.lr, 2e-4);
  EXPECT_DOUBLE_EQ(t.optim.eps, 1e-8);
  EXPECT_EQ(t.eval.sequences, 8);
  EXPECT_EQ(t.hardware.device, "auto");
}

TEST(SweepsSchema, FindKeyAndIsSection) {
  ASSERT_NE(FindKey("lora.r"), nullptr);
  EXPECT_EQ(FindKey("lora.r")->type, ValueType::kInt);
  EXPECT_EQ(FindKey("lora"), nullptr);
  EXPECT_EQ(FindKey("lora.rank"), nullptr);
  EXPECT_TRUE(IsSection("lora"));
  EXPECT_FALSE(IsSection("lora.r"));
  EXPECT_FALSE(IsSection("lor"));
}

TEST(SweepsSchema, ConstraintTextNamesTheLimits) {
  EXPECT_EQ(ConstraintText(*FindKey("lora.r")), "[1, 1024]");
  EXPECT_EQ(ConstraintText(*FindKey("lora.dropout")), "[0, 1)");
  EXPECT_EQ(ConstraintText(*FindKey("data.eval_fraction")), "(0, 0.5]");
  EXPECT_EQ(ConstraintText(*FindKey("lora.alpha")), "> 0");
  EXPECT_EQ(ConstraintText(*FindKey("train.steps")), ">= 0");
  EXPECT_EQ(ConstraintText(*FindKey("quantization.block_size")), "[32, 4096], a power of 2");
  EXPECT_EQ(ConstraintText(*FindKey("quantization.type")), "one of none, nf4, fp4");
  EXPECT_EQ(ConstraintText(*FindKey("lora.targets")),
            "each one of q, k, v, o, gate, up, down; at least 1");
  EXPECT_EQ(ConstraintText(*FindKey("hardware.gpu_profile")), "");
}

TEST(SweepsSchema, HelpTextHasEveryKeyWithItsDefault) {
  const std::string help = SchemaHelpText();
  EXPECT_EQ(help.rfind("KEY", 0), 0u);
  for (const auto& spec : Schema()) {
    EXPECT_NE(help.find("\n" + spec.key + " "), std::string::npos) << spec.key;
  }
  EXPECT_NE(help.find("paged_adamw_8bit"), std::string::npos);
  // Columns are aligned: the type column starts at the same offset on every line.
  size_t type_column = help.find("TYPE");
  size_t start = 0;
  while (start < help.size()) {
    size_t end = help.find('\n', start);
    std::string line = help.substr(start, end - start);
    ASSERT_GT(line.size(), type_column) << line;
    EXPECT_EQ(line[type_column - 1], ' ') << line;
    EXPECT_NE(line[type_column], ' ') << line;
    start = end + 1;
  }
}

}  // namespace
}  // namespace qlsweep::sweeps
