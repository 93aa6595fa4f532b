// PEFT adapter files: an adapter written by HF PEFT loads into the C++ model with PEFT's logits,
// and the files qlsweep writes have PEFT's layout.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/scratch.h"
#include "trainer/io/adapter_io.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/safetensors.h"
#include "trainer/model/load.h"

namespace qlsweep::trainer {
namespace {

const std::string kAssets = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/hf-tiny/";
const std::string kPeft = kAssets + "peft-adapter";

// The fixture's LoRA: r 4, alpha 8, all seven projections.
LoraSpec FixtureLora() { return {4, 8.0, 0.0, {"q", "k", "v", "o", "gate", "up", "down"}}; }

LlamaModel TinyModel(const LoraSpec& lora) {
  HfCheckpoint ckpt(kAssets + "untied");
  return LoadLlama(ckpt, lora, torch::TensorOptions().dtype(torch::kFloat32), {}, 1);
}

// tokens [B, T] int64 -> logits [B, T, V] float32.
torch::Tensor Logits(LlamaModel& model, const torch::Tensor& tokens) {
  torch::NoGradGuard no_grad;
  model->eval();
  return torch::matmul(model->forward(tokens), model->OutputWeight().t());
}

std::string Scratch(const std::string& name) {
  return qlsweep::testing::ScratchPath("adapters/" + name);
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Expects `fn` to throw std::invalid_argument whose message contains `text`.
template <typename Fn>
void ExpectRejected(Fn fn, const std::string& text) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

// Tolerance as the HF logits parity (docs/parity.md): same fp32 ops, summation order only.
TEST(PeftAdapter, AdapterSavedByPeftGivesPeftsLogits) {
  auto model = TinyModel(FixtureLora());
  LoadAdapter(model->NamedProjections(), FixtureLora(), kPeft);
  SafetensorsFile ref(kPeft + "/reference_logits.safetensors");
  const auto tokens = ref.Read("tokens");
  const auto want = ref.Read("logits");
  const auto got = Logits(model, tokens);
  const double diff = (got - want).abs().max().item<double>();
  std::printf("max |logit - PEFT| = %.3e\n", diff);
  EXPECT_LT(diff, 2e-5);
  // Not vacuous: without the adapter the logits are far off.
  model->SetAdaptersEnabled(false);
  EXPECT_GT((Logits(model, tokens) - want).abs().max().item<double>(), 1e-2);
}

TEST(PeftAdapter, SavedFilesHavePeftsNamesShapesAndConfig) {
  auto model = TinyModel(FixtureLora());
  LoadAdapter(model->NamedProjections(), FixtureLora(), kPeft);
  const char* keep = std::getenv("QLSWEEP_KEEP_ADAPTER");  // for dump_peft_adapter.py --check
  const std::string dir = keep != nullptr ? keep : Scratch("save");
  SaveAdapter(model->NamedProjections(), FixtureLora(), dir, "tests/assets/hf-tiny/untied");

  SafetensorsFile peft(kPeft + "/adapter_model.safetensors");
  SafetensorsFile ours(dir + "/adapter_model.safetensors");
  ASSERT_EQ(ours.entries().size(), peft.entries().size());
  for (const auto& [name, entry] : peft.entries()) {
    ASSERT_TRUE(ours.Has(name)) << name;
    EXPECT_EQ(ours.entries().at(name).shape, entry.shape) << name;
    EXPECT_EQ(ours.entries().at(name).dtype, entry.dtype) << name;
    EXPECT_TRUE(torch::equal(ours.Read(name), peft.Read(name))) << name;
  }
  const auto theirs = ReadJson(kPeft + "/adapter_config.json");
  const auto mine = ReadJson(dir + "/adapter_config.json");
  for (const char* key : {"peft_type", "task_type", "r", "lora_alpha", "bias", "use_dora",
                          "use_rslora", "fan_in_fan_out"}) {
    EXPECT_EQ(mine[key], theirs[key]) << key;
  }
  EXPECT_EQ(mine["target_modules"].get<std::set<std::string>>(),
            theirs["target_modules"].get<std::set<std::string>>());
  // Every key is one PEFT 0.21 writes itself (it warns about any other), with its JSON type.
  for (const auto& [key, value] : mine.items()) {
    ASSERT_TRUE(theirs.contains(key)) << key << ": not a field of PEFT's LoraConfig";
    EXPECT_EQ(value.type(), theirs[key].type()) << key;
  }

  // And it loads back into a fresh model with the same outputs.
  auto again = TinyModel(FixtureLora());
  LoadAdapter(again->NamedProjections(), FixtureLora(), dir);
  SafetensorsFile ref(kPeft + "/reference_logits.safetensors");
  EXPECT_TRUE(torch::equal(Logits(again, ref.Read("tokens")), Logits(model, ref.Read("tokens"))));
}

TEST(PeftAdapter, MismatchesNameTheFileAndWhatDiffers) {
  auto lora = FixtureLora();
  lora.r = 8;
  auto model = TinyModel(lora);
  ExpectRejected([&] { LoadAdapter(model->NamedProjections(), lora, kPeft); },
                 "adapter_config.json: r is 4, the trial has lora.r 8");
  lora = FixtureLora();
  lora.alpha = 16;
  ExpectRejected([&] { CheckAdapterConfig(kPeft, lora); }, "lora_alpha is 8");
  lora = FixtureLora();
  lora.targets = {"q", "v"};
  ExpectRejected([&] { CheckAdapterConfig(kPeft, lora); }, "target_modules");
  ExpectRejected([&] { CheckAdapterConfig("/nonexistent/adapter", FixtureLora()); },
                 "/nonexistent/adapter: no such adapter folder");

  // A tensor missing from the weights file.
  const std::string dir = Scratch("broken");
  auto full = TinyModel(FixtureLora());
  SaveAdapter(full->NamedProjections(), FixtureLora(), dir, "x");
  auto partial = FixtureLora();
  partial.targets = {"q"};
  auto small = TinyModel(partial);
  SaveAdapter(small->NamedProjections(), partial, dir + "-q", "x");
  std::filesystem::copy_file(dir + "/adapter_config.json", dir + "-q/adapter_config.json",
                             std::filesystem::copy_options::overwrite_existing);
  ExpectRejected([&] { LoadAdapter(full->NamedProjections(), FixtureLora(), dir + "-q"); },
                 "adapter_model.safetensors: tensor base_model.model.model.layers.0.self_attn."
                 "k_proj.lora_A.weight is missing");
}

}  // namespace
}  // namespace qlsweep::trainer
