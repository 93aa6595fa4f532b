// Parity with HF tokenizers: ids, decoded text and splits on the dumped references.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/json_file.h"
#include "trainer/tokenizer/pre_tokenizer.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

using testing::AssetDir;
using testing::ExpectParity;
using testing::LoadReference;
using testing::SharedTokenizerDir;

TEST(TokenizerParity, Gpt2EncoderJsonAndVocabBpe) {
  const auto dir = SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const Tokenizer tok =
      Tokenizer::FromGpt2Files(dir / "gpt2" / "encoder.json", dir / "gpt2" / "vocab.bpe");
  EXPECT_EQ(tok.kind(), TokenizerKind::kByteLevel);
  EXPECT_EQ(tok.vocab_size(), 50257);
  ExpectParity(tok, LoadReference("gpt2"), /*check_decode=*/true, /*check_special_ids=*/true);
}

TEST(TokenizerParity, Llama2TokenizerJson) {
  const auto dir = SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const Tokenizer tok = Tokenizer::FromHfJson(dir / "llama2" / "tokenizer.json");
  EXPECT_EQ(tok.kind(), TokenizerKind::kSentencePiece);
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  ExpectParity(tok, LoadReference("llama2"), /*check_decode=*/true, /*check_special_ids=*/true);
}

TEST(TokenizerParity, MiniSmollmTokenizerJson) {
  const Tokenizer tok = Tokenizer::FromHfJson(AssetDir() / "mini_smollm" / "tokenizer.json");
  EXPECT_TRUE(tok.spec().pre_tokenizer.individual_digits);
  ExpectParity(tok, LoadReference("mini_smollm"), /*check_decode=*/true,
               /*check_special_ids=*/true);
}

TEST(TokenizerParity, MiniLlama3TokenizerJson) {
  const Tokenizer tok = Tokenizer::FromHfJson(AssetDir() / "mini_llama3" / "tokenizer.json");
  EXPECT_EQ(tok.spec().pre_tokenizer.pattern, SplitPattern::kLlama3);
  EXPECT_TRUE(tok.spec().ignore_merges);
  ExpectParity(tok, LoadReference("mini_llama3"), /*check_decode=*/true,
               /*check_special_ids=*/true);
}

// The hand-written splitters against onig's regex matching inside HF tokenizers.
TEST(TokenizerParity, PreTokenizerSplitsMatchHfRegex) {
  const nlohmann::json ref = ReadJsonFile(AssetDir() / "pretokenize_reference.json");
  const std::pair<const char*, PreTokenizerConfig> configs[] = {
      {"gpt2", PreTokenizerFromName("gpt2")},
      {"llama3", PreTokenizerFromName("llama-bpe")},
      {"smollm", PreTokenizerFromName("smollm")},
  };
  ASSERT_GT(ref.at("cases").size(), 500u);
  for (const auto& c : ref.at("cases")) {
    const std::string text = c.at("text");
    for (const auto& [name, config] : configs) {
      std::vector<std::string_view> words;
      PreTokenize(config, text, words);
      EXPECT_EQ(std::vector<std::string>(words.begin(), words.end()),
                c.at(name).get<std::vector<std::string>>())
          << name << " on \"" << text << "\"";
    }
  }
}

}  // namespace
}  // namespace qlsweep::trainer
