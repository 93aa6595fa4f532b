// HfCheckpoint and LoadLlama: config parsing, bf16 conversion, clear errors, and 4-bit loading.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/expect_error.h"
#include "tests/support/scratch.h"
#include "trainer/io/gguf_source.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/safetensors.h"
#include "trainer/model/load.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kAssets = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/";
const std::string kUntied = kAssets + "hf-tiny/untied";

// Writes float tensors (F32, F16 or BF16, CPU) as a .safetensors file.
void WriteSafetensors(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  json header = json::object();
  std::string data;
  for (const auto& [name, t0] : tensors) {
    const torch::Tensor t = t0.contiguous();
    const std::string dtype = t.scalar_type() == torch::kBFloat16  ? "BF16"
                              : t.scalar_type() == torch::kFloat16 ? "F16"
                                                                   : "F32";
    header[name] = {{"dtype", dtype},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {data.size(), data.size() + t.nbytes()}}};
    data.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  }
  const std::string h = header.dump();
  const uint64_t n = h.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << h << data;
}

std::map<std::string, torch::Tensor> ReadAll(const std::string& path) {
  SafetensorsFile f(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, entry] : f.entries()) out[name] = f.Read(name);
  return out;
}

json UntiedConfig() { return json::parse(std::ifstream(kUntied + "/config.json")); }

// A scratch checkpoint folder: config (edited by the test) and weights (edited too).
class ScratchCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = UntiedConfig();
    weights_ = ReadAll(kUntied + "/model.safetensors");
  }
  void Write() {
    std::ofstream(dir_ / "config.json") << config_.dump(2);
    WriteSafetensors(dir_ / "model.safetensors", weights_);
  }
  // The message of the std::runtime_error that `f` throws.
  static std::string ErrorOf(const std::function<void()>& f) {
    return qlsweep::testing::ErrorOf<std::runtime_error>(f);
  }
  std::string OpenError() {
    return ErrorOf([&] { HfCheckpoint c(dir_.string()); });
  }

  qlsweep::testing::ScratchDir scratch_;
  fs::path dir_ = scratch_.path();
  json config_;
  std::map<std::string, torch::Tensor> weights_;
};

TEST(HfConfig, ParsesShapeAndDefaults) {
  const auto s = HfCheckpoint(kUntied).Shape();
  EXPECT_EQ(s.name, "untied");
  EXPECT_EQ(s.vocab, 512);
  EXPECT_EQ(s.hidden, 64);
  EXPECT_EQ(s.intermediate, 176);
  EXPECT_EQ(s.layers, 2);
  EXPECT_EQ(s.heads, 4);
  EXPECT_EQ(s.kv_heads, 2);
  EXPECT_EQ(s.max_seq, 2048);
  EXPECT_EQ(s.rope_theta, 10000.0);  // from transformers 5's rope_parameters
  EXPECT_EQ(s.rms_eps, 1e-5);
  EXPECT_FALSE(s.tie_embeddings);
  const auto d = ParseHfConfig("c.json", R"({"hidden_size": 32, "intermediate_size": 64,
      "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10, "rope_theta": 5e5})");
  EXPECT_EQ(d.kv_heads, 2);
  EXPECT_EQ(d.rms_eps, 1e-6);
  EXPECT_EQ(d.rope_theta, 5e5);
  EXPECT_FALSE(d.tie_embeddings);
}

TEST(HfConfig, ReadsLlama3RopeScalingAndRejectsOtherKindsNamingFileAndKey) {
  const std::string base = R"("hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
      "num_attention_heads": 2, "vocab_size": 10)";
  const auto v4 = ParseHfConfig("dir/config.json", "{" + base + R"(, "rope_scaling": {
      "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(v4.rope_scaling.factor, 8.0);
  EXPECT_EQ(v4.rope_scaling.low_freq_factor, 1.0);
  EXPECT_EQ(v4.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(v4.rope_scaling.original_max_seq, 8192);
  const auto v5 = ParseHfConfig("c.json", "{" + base + R"(, "rope_parameters": {"rope_type":
      "llama3", "rope_theta": 5e5, "factor": 32.0, "low_freq_factor": 1.0,
      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(v5.rope_scaling.factor, 32.0);
  EXPECT_EQ(v5.rope_theta, 5e5);
  try {
    ParseHfConfig("dir/config.json", "{" + base + R"(, "rope_scaling": {"rope_type": "yarn",
        "factor": 4.0}})");
    FAIL() << "yarn accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("dir/config.json: key \"rope_scaling\""),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("\"yarn\""), std::string::npos) << e.what();
  }
  // llama3 without its factors names the missing key.
  EXPECT_THROW(ParseHfConfig("c.json", "{" + base + R"(, "rope_parameters": {"rope_type":
      "llama3", "rope_theta": 5e5, "factor": 8.0}})"),
               std::runtime_error);
  EXPECT_FALSE(
      ParseHfConfig("c.json", "{" + base + R"(, "rope_scaling": null})").rope_scaling.enabled());
}

TEST_F(ScratchCheckpoint, MissingRequiredKeyNamesFileAndKey) {
  config_.erase("intermediate_size");
  Write();
  const std::string msg = OpenError();
  EXPECT_NE(msg.find((dir_ / "config.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("intermediate_size"), std::string::npos) << msg;
}

TEST_F(ScratchCheckpoint, MissingFolderConfigOrWeights) {
  EXPECT_NE(ErrorOf([&] { HfCheckpoint c((dir_ / "nope").string()); }).find("nope"),
            std::string::npos);
  EXPECT_NE(OpenError().find("config.json"), std::string::npos);
  std::ofstream(dir_ / "config.json") << config_.dump();
  EXPECT_NE(OpenError().find("no weights"), std::string::npos) << OpenError();
}

TEST_F(ScratchCheckpoint, WrongShapeNamesTensorFileExpectedAndFound) {
  weights_["model.layers.1.mlp.up_proj.weight"] = torch::zeros({175, 64});
  Write();
  const std::string msg = OpenError();
  EXPECT_NE(msg.find("model.layers.1.mlp.up_proj.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find((dir_ / "model.safetensors").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("[175, 64]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[176, 64]"), std::string::npos) << msg;
}

TEST_F(ScratchCheckpoint, MissingTensorIsNamed) {
  weights_.erase("lm_head.weight");
  Write();
  EXPECT_NE(OpenError().find("lm_head.weight"), std::string::npos) << OpenError();
}

TEST_F(ScratchCheckpoint, ShardListedButAbsent) {
  Write();
  fs::rename(dir_ / "model.safetensors", dir_ / "model-00001-of-00002.safetensors");
  json index = {{"metadata", json::object()}, {"weight_map", json::object()}};
  for (const auto& [name, t] : weights_) {
    index["weight_map"][name] = name == "model.norm.weight" ? "model-00002-of-00002.safetensors"
                                                            : "model-00001-of-00002.safetensors";
  }
  std::ofstream(dir_ / "model.safetensors.index.json") << index.dump();
  const std::string msg = OpenError();
  EXPECT_NE(msg.find("model-00002-of-00002.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.safetensors.index.json"), std::string::npos) << msg;
}

// The message ParseHfConfig throws for `config` ("" when it throws nothing).
std::string ConfigError(const json& config) {
  try {
    ParseHfConfig("dir/config.json", config.dump());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(HfConfig, AbsurdOrInconsistentShapesNameTheFileAndKey) {
  const json base = {{"hidden_size", 64},        {"intermediate_size", 176},
                     {"num_hidden_layers", 2},   {"num_attention_heads", 4},
                     {"num_key_value_heads", 2}, {"vocab_size", 512}};
  EXPECT_EQ(ConfigError(base), "");
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"num_key_value_heads", 0}}, "key \"num_key_value_heads\" must be between 1 and"},
      {{{"num_key_value_heads", -2}}, "key \"num_key_value_heads\" must be between 1 and"},
      {{{"num_key_value_heads", 3}}, "key \"num_key_value_heads\" (3) must divide"},
      {{{"num_attention_heads", 3}}, "key \"num_attention_heads\" (3) must divide hidden_size"},
      {{{"num_attention_heads", 64}}, "key \"num_attention_heads\" (64) gives an odd head dim"},
      {{{"num_hidden_layers", 0}}, "key \"num_hidden_layers\" must be positive"},
      {{{"num_hidden_layers", 2000000}}, "key \"num_hidden_layers\" must be between 1 and 10000"},
      {{{"vocab_size", 1000000000}}, "key \"vocab_size\" must be between 1 and"},
      {{{"hidden_size", 1 << 22}}, "key \"hidden_size\" must be between 1 and"},
      {{{"max_position_embeddings", 0}}, "key \"max_position_embeddings\" must be between"},
      {{{"rms_norm_eps", 0}}, "key \"rms_norm_eps\" must be a finite number above 0"},
      {{{"rms_norm_eps", -1e-5}}, "key \"rms_norm_eps\" must be a finite number above 0"},
      {{{"rms_norm_eps", 2.0}}, "key \"rms_norm_eps\" must be a finite number above 0"},
      {{{"rope_theta", 0}}, "key \"rope_theta\" must be a finite number above 0"},
      {{{"num_key_value_heads", 1e30}}, "key \"num_key_value_heads\" has the wrong type"},
      {{{"num_hidden_layers", 18446744073709551615ull}}, "key \"num_hidden_layers\""},
  };
  for (const auto& [change, expected] : cases) {
    json config = base;
    config.update(change);
    const std::string message = ConfigError(config);
    EXPECT_EQ(message.rfind("dir/config.json: ", 0), 0u) << change.dump() << ": " << message;
    EXPECT_NE(message.find(expected), std::string::npos) << change.dump() << ": " << message;
  }
  // 1e400 does not fit a double: the file and the number are named.
  std::string text = base.dump();
  text.insert(text.size() - 1, ", \"rms_norm_eps\": 1e400");
  try {
    ParseHfConfig("c.json", text);
    ADD_FAILURE() << "an epsilon of 1e400 was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "c.json: invalid JSON: number overflow parsing '1e400'");
  }
}

TEST(HfConfig, ModelTypeOtherThanLlamaIsRefusedNamingTheKey) {
  const json base = {{"hidden_size", 64},      {"intermediate_size", 176},
                     {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                     {"vocab_size", 512},      {"max_position_embeddings", 4096}};
  json llama = base, qwen = base, mistral = base, windowed = base, long_window = base;
  llama["model_type"] = "llama";
  qwen["model_type"] = "qwen2";
  mistral["model_type"] = "mistral";
  mistral["sliding_window"] = nullptr;
  windowed["model_type"] = "mistral";
  windowed["sliding_window"] = 1024;
  long_window["model_type"] = "mistral";
  long_window["sliding_window"] = 4096;
  EXPECT_EQ(ConfigError(llama), "");
  EXPECT_EQ(ConfigError(mistral), "");  // a Mistral without a sliding window is a Llama
  EXPECT_EQ(ConfigError(long_window), "");
  EXPECT_EQ(ConfigError(qwen),
            "dir/config.json: key \"model_type\" is \"qwen2\"; only \"llama\" (and \"mistral\" "
            "without a sliding window) checkpoints are supported");
  EXPECT_NE(ConfigError(windowed).find("dir/config.json: key \"sliding_window\" (1024)"),
            std::string::npos)
      << ConfigError(windowed);
}

TEST_F(ScratchCheckpoint, ZeroKeyValueHeadsIsAnErrorNotACrash) {
  config_["num_key_value_heads"] = 0;
  Write();
  EXPECT_EQ(OpenError(), (dir_ / "config.json").string() +
                             ": key \"num_key_value_heads\" must be between 1 and 65536, got 0");
}

TEST_F(ScratchCheckpoint, ConfigThatIsNotJsonTextNamesFileLineAndColumn) {
  Write();
  std::ofstream(dir_ / "config.json") << "{\n  \"hidden_size\": 64,\n  \"vocab_size\": x\n}\n";
  const std::string config = (dir_ / "config.json").string();
  EXPECT_EQ(OpenError().rfind(config + ":3:17: invalid JSON: ", 0), 0u) << OpenError();
  EXPECT_EQ(OpenError().find("json.exception"), std::string::npos) << OpenError();
  std::ofstream(dir_ / "config.json") << "{\"model_type\": \"ll\xe1ma\"}";
  EXPECT_EQ(OpenError(), config +
                             ":1: invalid UTF-8 (byte 0xe1 at line 1, column 19); the file "
                             "must be UTF-8 text");
  std::ofstream(dir_ / "config.json") << "[1, 2]";
  EXPECT_EQ(OpenError(), config + ": invalid JSON: expected an object, got array");
  fs::remove(dir_ / "config.json");
  fs::create_directory(dir_ / "config.json");
  EXPECT_EQ(OpenError(), config + ": is a directory, not a file");
  fs::remove(dir_ / "config.json");
}

TEST_F(ScratchCheckpoint, ShardNamesThatLeaveTheFolderAreRefused) {
  Write();
  fs::rename(dir_ / "model.safetensors", dir_ / "model-00001-of-00001.safetensors");
  const std::string index = (dir_ / "model.safetensors.index.json").string();
  const std::string outside_name = dir_.filename().string() + "-outside.safetensors";
  const std::string outside = (dir_.parent_path() / outside_name).string();
  WriteSafetensors(outside, weights_);  // a real file there: refused by name, not by absence
  for (const json& shard : {json("../" + outside_name), json(outside), json("sub/x.safetensors"),
                            json("a\\b.safetensors"), json(".."), json(""), json(5)}) {
    json map = json::object();
    for (const auto& [name, t] : weights_) map[name] = "model-00001-of-00001.safetensors";
    map["model.norm.weight"] = shard;
    std::ofstream(index) << json{{"weight_map", map}}.dump();
    const std::string message = OpenError();
    EXPECT_EQ(message.rfind(index + ": key \"weight_map\" entry \"model.norm.weight\" ", 0), 0u)
        << shard.dump() << ": " << message;
  }
  fs::remove(outside);
}

TEST_F(ScratchCheckpoint, FolderProblemsSayWhatThePathIs) {
  Write();
  const std::string file = (dir_ / "config.json").string();
  EXPECT_EQ(ErrorOf([&] { HfCheckpoint c(file); }),
            file + ": is a file, not a folder (an HF checkpoint folder is expected)");
  fs::remove(dir_ / "model.safetensors");
  fs::create_directory(dir_ / "model.safetensors");
  EXPECT_NE(OpenError().find("model.safetensors: is a directory, not a file"), std::string::npos)
      << OpenError();
  fs::remove(dir_ / "model.safetensors");
}

TEST_F(ScratchCheckpoint, Bf16AndFp16WeightsReadAsFloat32) {
  weights_["model.embed_tokens.weight"] =
      weights_["model.embed_tokens.weight"].to(torch::kBFloat16);
  weights_["model.layers.0.mlp.down_proj.weight"] =
      weights_["model.layers.0.mlp.down_proj.weight"].to(torch::kFloat16);
  Write();
  HfCheckpoint ckpt(dir_.string());
  for (const char* name : {"model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight"}) {
    const torch::Tensor got = ckpt.Read(name);
    EXPECT_EQ(got.scalar_type(), torch::kFloat32) << name;
    EXPECT_TRUE(torch::equal(got, weights_[name].to(torch::kFloat32))) << name;
  }
}

// A source whose q_proj of layer 0 has the wrong shape, behind HfCheckpoint's own checks.
class BadShapeSource : public WeightSource {
 public:
  sweeps::ModelShape Shape() const override { return ckpt_.Shape(); }
  bool Has(const std::string& name) const override { return ckpt_.Has(name); }
  std::vector<int64_t> TensorShape(const std::string& n) const override {
    return ckpt_.TensorShape(n);
  }
  torch::Tensor Read(const std::string& name) override {
    auto t = ckpt_.Read(name);
    return name == "model.layers.0.self_attn.q_proj.weight" ? t.t().contiguous()[0] : t;
  }
  std::string Describe() const override { return "bad-source"; }

 private:
  HfCheckpoint ckpt_{kUntied};
};

TEST(LoadLlama, WrongShapeFromSourceNamesTensorAndSource) {
  BadShapeSource src;
  try {
    LoadLlama(src, {}, torch::TensorOptions().dtype(torch::kFloat32), {}, 0);
    FAIL() << "loaded";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad-source"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model.layers.0.self_attn.q_proj.weight"), std::string::npos) << msg;
  }
}

TEST(LoadLlama, LoadsExactWeightsAndSeedsAdapters) {
  HfCheckpoint ckpt(kUntied);
  LoraSpec lora{.r = 4, .alpha = 8, .dropout = 0, .targets = {"q", "v"}};
  auto a = LoadLlama(ckpt, lora, torch::TensorOptions().dtype(torch::kFloat32), {}, 5);
  auto b = LoadLlama(ckpt, lora, torch::TensorOptions().dtype(torch::kFloat32), {}, 5);
  auto& layer = *a->layers[1]->as<DecoderLayerImpl>();
  EXPECT_TRUE(torch::equal(layer.gate->base().Get(torch::kFloat32),
                           ckpt.Read("model.layers.1.mlp.gate_proj.weight")));
  EXPECT_TRUE(
      torch::equal(layer.post_norm, ckpt.Read("model.layers.1.post_attention_layernorm.weight")));
  EXPECT_TRUE(torch::equal(a->OutputWeight(), ckpt.Read("lm_head.weight")));
  const auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  ASSERT_FALSE(pa.empty());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

// QLoRA: NF4 with double quantization (block 64) of the 7 projections; embeddings and lm_head
// stay dense (the default skip set). NF4 has 16 levels per block scale: on these N(0, 0.02^2)
// weights each projection's relative Frobenius error is ~0.09 (observed 0.090-0.093; bound 0.12).
// The 14 quantized projections compound to an observed relative logit error of 0.115 on this
// random model (bound 0.2). Unrelated logits would give ~1.4, a lost block scale far more.
TEST(LoadLlama, Nf4LogitsCloseToFloat32) {
  HfCheckpoint ckpt(kUntied);
  SafetensorsFile ref(kUntied + "/reference_logits.safetensors");
  const torch::Tensor tokens = ref.Read("tokens");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  QuantPolicy nf4;
  nf4.type = "nf4";
  nf4.double_quant = true;
  auto dense = LoadLlama(ckpt, {}, opts, {}, 0);
  auto quant = LoadLlama(ckpt, {}, opts, nf4, 0);
  EXPECT_LT(quant->BaseBytes(), dense->BaseBytes());
  double min_w = 1, max_w = 0;
  for (int64_t i = 0; i < 2; ++i) {
    const auto& qlayer = *quant->layers[i]->as<DecoderLayerImpl>();
    const auto& dlayer = *dense->layers[i]->as<DecoderLayerImpl>();
    const auto qp = qlayer.projections(), dp = dlayer.projections();
    for (size_t j = 0; j < qp.size(); ++j) {
      ASSERT_TRUE(qp[j].second->base().quantized()) << qp[j].first;
      const auto w = dp[j].second->base().Get(torch::kFloat32);
      const auto wq = qp[j].second->base().Get(torch::kFloat32);
      const double rel = ((wq - w).norm() / w.norm()).item<double>();
      min_w = std::min(min_w, rel);
      max_w = std::max(max_w, rel);
      EXPECT_LT(rel, 0.12) << "layer " << i << " " << qp[j].first;
    }
  }
  std::printf("nf4 relative weight error in [%.4f, %.4f]\n", min_w, max_w);
  torch::NoGradGuard no_grad;
  const auto want = torch::matmul(dense->forward(tokens), dense->OutputWeight().t());
  const auto got = torch::matmul(quant->forward(tokens), quant->OutputWeight().t());
  const double rel = ((got - want).norm() / want.norm()).item<double>();
  std::printf("nf4 relative logit error = %.4f\n", rel);
  EXPECT_GT(rel, 0.0);
  EXPECT_LT(rel, 0.2);
}

TEST(OpenWeights, PicksSourceByPath) {
  EXPECT_NE(dynamic_cast<HfCheckpoint*>(OpenWeights(kUntied).get()), nullptr);
  EXPECT_NE(dynamic_cast<GgufSource*>(OpenWeights(kAssets + "gguf/tiny-llama.gguf").get()),
            nullptr);
  EXPECT_THROW(OpenWeights(kAssets + "nope.gguf"), std::runtime_error);
  EXPECT_THROW(OpenWeights(kUntied + "/config.json"), std::runtime_error);
}

}  // namespace
}  // namespace qlsweep::trainer
