// Unit tests of the GGUF reader: metadata of every type, tokenizer data, dequantization of known
// blocks, the q/k row permutation, name mapping and every error path.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <unistd.h>

#include "tests/support/expect_error.h"
#include "tests/support/gguf_test_writer.h"
#include "tests/support/scratch.h"
#include "trainer/io/gguf_dequant.h"
#include "trainer/io/gguf_file.h"
#include "trainer/io/gguf_qk_order.h"
#include "trainer/io/gguf_source.h"
#include "trainer/model/rope.h"

namespace qlsweep::trainer {
namespace {

using testing::F32Bytes;
using testing::GgufBuilder;

const std::string kFixture = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/gguf/tiny-llama.gguf";

std::string TempPath(const std::string& name) {
  return qlsweep::testing::ScratchPath("gguf/" + name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

using qlsweep::testing::ExpectError;

TEST(GgufFile, ParsesEveryMetadataType) {
  GgufFile f(kFixture);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  EXPECT_EQ(f.GetInt("qlsweep.u8"), 200);
  EXPECT_EQ(f.GetInt("qlsweep.i8"), -100);
  EXPECT_EQ(f.GetInt("qlsweep.u16"), 60000);
  EXPECT_EQ(f.GetInt("qlsweep.i16"), -30000);
  EXPECT_EQ(f.GetInt("qlsweep.u32"), 4000000000LL);
  EXPECT_EQ(f.GetInt("qlsweep.i32"), -2000000000LL);
  EXPECT_EQ(f.GetFloat("qlsweep.f32"), 0.25);
  EXPECT_EQ(f.GetInt("qlsweep.bool"), 1);
  EXPECT_EQ(f.GetString("qlsweep.str"), "h\xC3\xA9llo");
  EXPECT_EQ(f.GetInt("qlsweep.u64"), (int64_t{1} << 40) + 3);
  EXPECT_EQ(f.GetInt("qlsweep.i64"), -(int64_t{1} << 40) - 3);
  EXPECT_EQ(f.GetFloat("qlsweep.f64"), -1.5e300);
  const GgufValue& floats = f.Get("qlsweep.floats");
  ASSERT_TRUE(floats.is_array());
  EXPECT_EQ(floats.floats, (std::vector<double>{0.5, -2.0, 3.25}));
  EXPECT_EQ(f.Get("qlsweep.u8").type, GgufType::kUint8);
  EXPECT_EQ(f.keys().front(), "general.architecture");
  ExpectError([&] { f.GetInt("qlsweep.str"); }, {kFixture, "qlsweep.str", "expected an integer"});

  ASSERT_EQ(f.tensors().size(), 21u);
  const GgufTensorInfo* emb = f.FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dims, (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(GgmlTypeName(emb->type), "Q8_0");
  EXPECT_EQ(emb->nbytes, 512u * 2 * 34);
}

TEST(GgufFile, ReadsNestedArraysAndDefaultAlignment) {
  GgufBuilder b;
  std::string nested;  // [[1, 2], [3]] as arrays of INT16
  GgufBuilder::Put<uint32_t>(nested, 9);
  GgufBuilder::Put<uint64_t>(nested, 2);
  GgufBuilder::Put<uint32_t>(nested, 3);
  GgufBuilder::Put<uint64_t>(nested, 2);
  GgufBuilder::Put<int16_t>(nested, 1);
  GgufBuilder::Put<int16_t>(nested, 2);
  GgufBuilder::Put<uint32_t>(nested, 3);
  GgufBuilder::Put<uint64_t>(nested, 1);
  GgufBuilder::Put<int16_t>(nested, -3);
  b.KvRaw("nested", 9, nested);
  b.Tensor("blk.0.attn_norm.weight", {3}, 0, F32Bytes({1.5f, -2.f, 0.f}));
  const std::string path = TempPath("nested.gguf");
  b.WriteTo(path);
  GgufFile f(path);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  const GgufValue& v = f.Get("nested");
  ASSERT_EQ(v.items.size(), 2u);
  EXPECT_EQ(v.items[0].ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(v.items[1].ints, (std::vector<int64_t>{-3}));
  const float* data = reinterpret_cast<const float*>(f.TensorData(f.tensors()[0]));
  EXPECT_EQ(data[0], 1.5f);
  EXPECT_EQ(data[1], -2.f);
}

TEST(GgufFile, ExposesTokenizerMetadata) {
  GgufSource src(kFixture);
  GgufVocab t = src.Tokenizer();
  EXPECT_EQ(t.model, "llama");
  EXPECT_EQ(t.pre, "default");
  ASSERT_EQ(t.tokens.size(), 512u);
  EXPECT_EQ(t.tokens[1], "<s>");
  EXPECT_EQ(t.tokens[3 + 0x41], "<0x41>");
  EXPECT_EQ(t.merges, (std::vector<std::string>{"t o", "to k"}));
  ASSERT_EQ(t.scores.size(), 512u);
  EXPECT_EQ(t.scores[7], -7.0f);
  ASSERT_EQ(t.token_types.size(), 512u);
  EXPECT_EQ(t.token_types[0], 2);
  EXPECT_EQ(t.token_types[5], 6);
  EXPECT_EQ(t.bos_id, 1);
  EXPECT_EQ(t.eos_id, 2);
  EXPECT_FALSE(t.source.empty());  // the file, for the tokenizer's messages
  EXPECT_EQ(t.add_bos, true);
  EXPECT_EQ(t.chat_template, "{% for m in messages %}{{ m['content'] }}{% endfor %}");
}

TEST(GgufDequant, HalfToFloatIsExact) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
}

TEST(GgufDequant, DecodesHandMadeBlocks) {
  std::vector<uint8_t> q40 = {0x00, 0x38};              // d = 0.5
  std::vector<uint8_t> q41 = {0x00, 0x34, 0x00, 0xBC};  // d = 0.25, m = -1
  std::vector<uint8_t> q80 = {0x00, 0x40};              // d = 2
  for (int j = 0; j < 16; ++j) {
    q40.push_back(static_cast<uint8_t>(j | ((15 - j) << 4)));
    q41.push_back(static_cast<uint8_t>(j | ((15 - j) << 4)));
  }
  for (int j = 0; j < 32; ++j) q80.push_back(static_cast<uint8_t>(static_cast<int8_t>(j - 16)));
  float out[32];
  DequantizeGgml(static_cast<uint32_t>(GgmlType::kQ4_0), q40.data(), 32, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(out[j + 16], (7 - j) * 0.5f) << j;
  }
  DequantizeGgml(static_cast<uint32_t>(GgmlType::kQ4_1), q41.data(), 32, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], j * 0.25f - 1.0f) << j;
    EXPECT_EQ(out[j + 16], (15 - j) * 0.25f - 1.0f) << j;
  }
  DequantizeGgml(static_cast<uint32_t>(GgmlType::kQ8_0), q80.data(), 32, out);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], (j - 16) * 2.0f) << j;
  const uint16_t bf16[2] = {0x3F80, 0xC040};  // 1, -3
  DequantizeGgml(static_cast<uint32_t>(GgmlType::kBF16), reinterpret_cast<const uint8_t*>(bf16), 2,
                 out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_THROW(DequantizeGgml(static_cast<uint32_t>(GgmlType::kQ2_K), q80.data(), 256, out),
               std::invalid_argument);
}

TEST(GgufQkOrder, MatchesConvertHfToGgufAndRoundTrips) {
  const int64_t n_head = 2, head_dim = 8, cols = 3;
  auto w =
      torch::arange(n_head * head_dim * cols, torch::kFloat32).reshape({n_head * head_dim, cols});
  auto p = PermuteQkToGguf(w, n_head);
  // GGUF row h*hd + 2*i + j holds HF row h*hd + j*hd/2 + i (rotary halves interleaved).
  for (int64_t h = 0; h < n_head; ++h) {
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        EXPECT_TRUE(
            torch::equal(p[h * head_dim + 2 * i + j], w[h * head_dim + j * head_dim / 2 + i]));
      }
    }
  }
  EXPECT_TRUE(torch::equal(UnpermuteQkFromGguf(p, n_head), w));
  auto r = torch::randn({24, 5});
  EXPECT_TRUE(torch::equal(UnpermuteQkFromGguf(PermuteQkToGguf(r, 3), 3), r));
  EXPECT_FALSE(torch::equal(PermuteQkToGguf(r, 3), r));
  EXPECT_THROW(UnpermuteQkFromGguf(torch::zeros({10, 2}), 3), std::invalid_argument);
}

TEST(GgufSource, MapsLlamaCppNamesToHf) {
  EXPECT_EQ(HfNameFromGguf("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(HfNameFromGguf("blk.12.attn_q.weight"), "model.layers.12.self_attn.q_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.0.attn_k.weight"), "model.layers.0.self_attn.k_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.0.attn_v.weight"), "model.layers.0.self_attn.v_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.0.attn_output.weight"), "model.layers.0.self_attn.o_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.1.ffn_gate.weight"), "model.layers.1.mlp.gate_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.1.ffn_up.weight"), "model.layers.1.mlp.up_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.1.ffn_down.weight"), "model.layers.1.mlp.down_proj.weight");
  EXPECT_EQ(HfNameFromGguf("blk.2.attn_norm.weight"), "model.layers.2.input_layernorm.weight");
  EXPECT_EQ(HfNameFromGguf("blk.2.ffn_norm.weight"),
            "model.layers.2.post_attention_layernorm.weight");
  EXPECT_EQ(HfNameFromGguf("output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(HfNameFromGguf("output.weight"), "lm_head.weight");
  EXPECT_EQ(HfNameFromGguf("rope_freqs.weight"), "");
}

TEST(GgufErrors, MissingFile) {
  const std::string path = TempPath("does-not-exist.gguf");
  ExpectError([&] { GgufFile f(path); }, {path, "cannot open"});
  ExpectError([&] { GgufSource s(path); }, {path, "cannot open"});
}

TEST(GgufErrors, TruncatedHeader) {
  const std::string bytes = ReadAll(kFixture);
  for (size_t keep : {0, 3, 20, 2000}) {
    const std::string path = TempPath("truncated-header.gguf");
    WriteAll(path, bytes.substr(0, keep));
    ExpectError([&] { GgufFile f(path); }, {path, "truncated GGUF header"});
  }
}

TEST(GgufErrors, TensorDataPastEndOfFile) {
  const std::string bytes = ReadAll(kFixture);
  const std::string path = TempPath("truncated-data.gguf");
  WriteAll(path, bytes.substr(0, bytes.size() - 100));
  ExpectError([&] { GgufFile f(path); }, {path, "tensor 'output.weight'", "past the end"});
}

TEST(GgufErrors, BadMagic) {
  std::string bytes = ReadAll(kFixture);
  bytes[0] = 'X';
  const std::string path = TempPath("bad-magic.gguf");
  WriteAll(path, bytes);
  ExpectError([&] { GgufFile f(path); }, {path, "bad magic 'XGUF'"});
}

TEST(GgufErrors, UnsupportedVersion) {
  GgufBuilder b;
  b.version = 7;
  const std::string path = TempPath("version.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufFile f(path); }, {path, "unsupported GGUF version 7"});
}

TEST(GgufErrors, UnknownTensorType) {
  GgufBuilder b;
  b.Tensor("blk.0.attn_q.weight", {32, 2}, 99, std::string(256, '\0'));
  const std::string path = TempPath("unknown-type.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufFile f(path); },
              {path, "tensor 'blk.0.attn_q.weight'", "unknown tensor type 99"});
}

TEST(GgufErrors, TypeThatCannotBeDequantized) {
  GgufBuilder b;
  b.LlamaMetadata();
  b.Tensor("blk.0.ffn_up.weight", {256, 1}, 11, std::string(110, '\0'));  // one Q3_K block
  const std::string path = TempPath("q3k.gguf");
  b.WriteTo(path);
  GgufSource src(path);
  EXPECT_EQ(src.TensorShape("model.layers.0.mlp.up_proj.weight"), (std::vector<int64_t>{1, 256}));
  ExpectError([&] { src.Read("model.layers.0.mlp.up_proj.weight"); },
              {path, "blk.0.ffn_up.weight", "Q3_K", "cannot dequantize"});
}

// Llama 3.1 GGUFs store the rope scaling as `rope_freqs.weight`, one divisor per frequency, which
// convert_hf_to_gguf.py computes from the llama3 parameters; dividing by them gives HF's scaled
// frequencies up to float rounding (the two formulas differ in the interpolated band).
TEST(GgufSource, RopeFreqsTensorScalesTheFrequenciesAsLlama3Does) {
  const sweeps::RopeScaling llama3{.factor = 8,
                                   .low_freq_factor = 1,
                                   .high_freq_factor = 4,
                                   .original_max_seq = 64,
                                   .freq_factors = {}};
  std::vector<float> factors;  // convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors
  for (int i = 0; i < 8; ++i) {
    const double freq = 1.0 / std::pow(10000.0, 2.0 * i / 16.0);
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < 64.0 / 4) {
      factors.push_back(1.0f);
    } else if (wavelen > 64.0 / 1) {
      factors.push_back(8.0f);
    } else {
      const double smooth = (64.0 / wavelen - 1) / (4 - 1);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / 8 + smooth)));
    }
  }
  GgufBuilder b;
  b.LlamaMetadata();  // width 64, 4 heads: head dim 16
  b.Tensor("rope_freqs.weight", {8}, 0, F32Bytes(factors));
  const std::string path = TempPath("rope-freqs.gguf");
  b.WriteTo(path);
  const auto shape = GgufSource(path).Shape();
  EXPECT_EQ(shape.rope_scaling.freq_factors, factors);
  const auto [cos_gguf, sin_gguf] = RopeTables(32, 16, 10000.0, torch::kCPU, shape.rope_scaling);
  const auto [cos_hf, sin_hf] = RopeTables(32, 16, 10000.0, torch::kCPU, llama3);
  const auto [cos_plain, sin_plain] = RopeTables(32, 16, 10000.0, torch::kCPU);
  EXPECT_LT((sin_gguf - sin_hf).abs().max().item<double>(), 1e-5);
  EXPECT_LT((cos_gguf - cos_hf).abs().max().item<double>(), 1e-5);
  EXPECT_GT((sin_gguf - sin_plain).abs().max().item<double>(), 0.1);  // the scaling matters

  GgufBuilder bad;
  bad.LlamaMetadata();
  bad.Tensor("rope_freqs.weight", {4}, 0, F32Bytes({1, 1, 1, 1}));
  const std::string bad_path = TempPath("rope-freqs-bad.gguf");
  bad.WriteTo(bad_path);
  ExpectError([&] { GgufSource src(bad_path); }, {bad_path, "rope_freqs.weight", "8 F32 values"});
}

TEST(GgufErrors, OffsetPastEnd) {
  GgufBuilder b;
  b.Tensor("blk.0.attn_norm.weight", {4}, 0, F32Bytes({1, 2, 3, 4}), 1 << 20);
  const std::string path = TempPath("offset.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufFile f(path); }, {path, "tensor 'blk.0.attn_norm.weight'", "past the end"});
}

TEST(GgufErrors, DimensionsWhoseProductOverflowsAreRefused) {
  // Found by fuzz/gguf: four dimensions of up to 2^40 each overflowed the element count (int64),
  // and the wrapped byte count passed the end-of-file check.
  GgufBuilder b;
  b.Tensor("blk.0.attn_norm.weight", {uint64_t{1} << 40, uint64_t{1} << 35, 1, 1}, 0,
           F32Bytes({1, 2, 3, 4}));
  const std::string path = TempPath("overflow.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufFile f(path); }, {path, "blk.0.attn_norm.weight", "more than 2^56"});
}

TEST(GgufErrors, RowLengthNotAMultipleOfTheBlock) {
  GgufBuilder b;
  b.Tensor("blk.0.attn_v.weight", {48, 1}, 8, std::string(68, '\0'));  // Q8_0 needs multiples of 32
  const std::string path = TempPath("rows.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufFile f(path); }, {path, "blk.0.attn_v.weight", "block size 32"});
}

TEST(GgufErrors, MissingRequiredMetadataKey) {
  for (const std::string key : {"llama.block_count", "llama.embedding_length",
                                "llama.attention.layer_norm_rms_epsilon", "general.architecture"}) {
    GgufBuilder b;
    b.LlamaMetadata(key);
    const std::string path = TempPath("missing-key.gguf");
    b.WriteTo(path);
    ExpectError([&] { GgufSource s(path); }, {path, "'" + key + "' is missing"});
  }
  GgufBuilder b;
  b.LlamaMetadata("tokenizer.ggml.tokens");
  const std::string path = TempPath("no-tokenizer.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufSource s(path); }, {path, "'llama.vocab_size' is missing"});
  b.KvU32("llama.vocab_size", 300);  // without tokens, the vocabulary size comes from here
  b.WriteTo(path);
  GgufSource s(path);
  EXPECT_EQ(s.Shape().vocab, 300);
  ExpectError([&] { s.Tokenizer(); }, {path, "'tokenizer.ggml.tokens' is missing"});
}

TEST(GgufErrors, AbsurdOrInconsistentMetadataNamesTheKey) {
  struct Case {
    std::string key;
    uint32_t value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"llama.attention.head_count_kv", 0, "'llama.attention.head_count_kv' must be between 1 and"},
      {"llama.attention.head_count_kv", 3, "'llama.attention.head_count_kv' (3) must divide"},
      {"llama.attention.head_count", 0, "'llama.attention.head_count' must be between 1 and"},
      {"llama.attention.head_count", 3, "'llama.attention.head_count' (3) must divide"},
      {"llama.block_count", 0, "'llama.block_count' must be between 1 and 10000, got 0"},
      {"llama.block_count", 2000000, "'llama.block_count' must be between 1 and 10000"},
      {"llama.embedding_length", 0, "'llama.embedding_length' must be between 1 and"},
      {"llama.feed_forward_length", 0, "'llama.feed_forward_length' must be between 1 and"},
      {"llama.context_length", 0, "'llama.context_length' must be between 1 and"},
      {"llama.context_length", 0xFFFFFFFFu, "'llama.context_length' must be between 1 and"},
  };
  for (const Case& c : cases) {
    GgufBuilder b;
    b.LlamaMetadata(c.key);
    b.KvU32(c.key, c.value);
    const std::string path = TempPath("bad-shape.gguf");
    b.WriteTo(path);
    ExpectError([&] { GgufSource s(path); }, {path + ": metadata " + c.expected});
  }
  for (const float eps : {0.0f, -1e-5f, std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()}) {
    GgufBuilder b;
    b.LlamaMetadata("llama.attention.layer_norm_rms_epsilon");
    b.KvF32("llama.attention.layer_norm_rms_epsilon", eps);
    const std::string path = TempPath("bad-eps.gguf");
    b.WriteTo(path);
    ExpectError([&] { GgufSource s(path); },
                {path + ": metadata 'llama.attention.layer_norm_rms_epsilon' must be a finite "
                        "number above 0"});
  }
  GgufBuilder b;
  b.LlamaMetadata();
  b.KvF32("llama.rope.freq_base", std::numeric_limits<float>::quiet_NaN());
  const std::string path = TempPath("bad-theta.gguf");
  b.WriteTo(path);
  ExpectError([&] { GgufSource s(path); }, {path + ": metadata 'llama.rope.freq_base' must be"});
}

TEST(GgufErrors, BytesThatAreNotUtf8AreEscapedInMessages) {
  GgufBuilder b;
  b.LlamaMetadata("general.architecture");
  b.KvString("general.architecture", "ll\xff\xfema");
  const std::string path = TempPath("latin1.gguf");
  b.WriteTo(path);
  // The message goes into a JSON error event: it must be UTF-8 (nlohmann's dump throws otherwise).
  ExpectError([&] { GgufSource s(path); }, {path + ": general.architecture is 'll\\xff\\xfema'"});
}

TEST(GgufErrors, FolderOrDeviceIsSaidToBeOne) {
  const std::string folder = TempPath("folder.gguf");
  std::filesystem::create_directories(folder);
  ExpectError([&] { GgufFile f(folder); }, {folder + ": is a directory, not a GGUF file"});
  ExpectError([&] { GgufFile f("/dev/null"); }, {"/dev/null: is not a regular file"});
}

TEST(GgufErrors, UnknownHfName) {
  GgufSource src(kFixture);
  EXPECT_FALSE(src.Has("model.layers.7.self_attn.q_proj.weight"));
  ExpectError([&] { src.Read("model.layers.7.self_attn.q_proj.weight"); },
              {kFixture, "model.layers.7.self_attn.q_proj.weight"});
}

}  // namespace
}  // namespace qlsweep::trainer
