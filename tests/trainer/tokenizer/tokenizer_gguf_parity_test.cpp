// Parity of tokenizers built from GGUF-style arrays (Tokenizer::FromVocab) with HF tokenizers.
#include <gtest/gtest.h>

#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

using testing::AsGgufVocab;
using testing::AssetDir;
using testing::ExpectParity;
using testing::LoadReference;
using testing::SharedTokenizerDir;

TEST(TokenizerGgufParity, Gpt2ModelWithMerges) {
  const auto dir = SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const Tokenizer files =
      Tokenizer::FromGpt2Files(dir / "gpt2" / "encoder.json", dir / "gpt2" / "vocab.bpe");
  const Tokenizer tok = Tokenizer::FromVocab(AsGgufVocab(files, "gpt2", "gpt2", true));
  ExpectParity(tok, LoadReference("gpt2"), /*check_decode=*/true, /*check_special_ids=*/true);
}

// A "llama" GGUF carries scores, not merges: the merges are derived from the scores.
TEST(TokenizerGgufParity, LlamaModelMergesFromScores) {
  const auto dir = SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const Tokenizer json = Tokenizer::FromHfJson(dir / "llama2" / "tokenizer.json");
  const Tokenizer tok = Tokenizer::FromVocab(AsGgufVocab(json, "llama", "", false));
  EXPECT_EQ(tok.kind(), TokenizerKind::kSentencePiece);
  EXPECT_EQ(tok.unk_id(), 0);
  ExpectParity(tok, LoadReference("llama2"), /*check_decode=*/true, /*check_special_ids=*/true);
}

TEST(TokenizerGgufParity, SmollmPreTokenizer) {
  const Tokenizer json = Tokenizer::FromHfJson(AssetDir() / "mini_smollm" / "tokenizer.json");
  const Tokenizer tok = Tokenizer::FromVocab(AsGgufVocab(json, "gpt2", "smollm", true));
  ExpectParity(tok, LoadReference("mini_smollm"), /*check_decode=*/true,
               /*check_special_ids=*/false);
}

TEST(TokenizerGgufParity, Llama3PreTokenizer) {
  const Tokenizer json = Tokenizer::FromHfJson(AssetDir() / "mini_llama3" / "tokenizer.json");
  const Tokenizer tok = Tokenizer::FromVocab(AsGgufVocab(json, "gpt2", "llama-bpe", true));
  EXPECT_TRUE(tok.spec().ignore_merges);
  ExpectParity(tok, LoadReference("mini_llama3"), /*check_decode=*/true,
               /*check_special_ids=*/true);
}

}  // namespace
}  // namespace qlsweep::trainer
