// SentencePiece tokenizer.model files read through libsentencepiece against Python sentencepiece
// (trained fixtures) and HF tokenizers (Llama 2's tokenizer.json rebuilt as a ModelProto).
#include <gtest/gtest.h>

#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

namespace t = testing;

#ifdef QLSWEEP_HAVE_SENTENCEPIECE
#define SKIP_WITHOUT_SENTENCEPIECE()
#else
#define SKIP_WITHOUT_SENTENCEPIECE() GTEST_SKIP() << "built without libsentencepiece"
#endif

// A small trained model (mini_sp_<type>.model): ids, BOS, decoded text and round trip.
void ExpectTrainedModelParity(const std::string& name) {
  const Tokenizer tok = Tokenizer::FromFile(t::AssetDir() / (name + ".model"));
  EXPECT_EQ(tok.kind(), TokenizerKind::kSentencePieceModel);
  EXPECT_EQ(tok.vocab_size(), 800);
  EXPECT_EQ(tok.unk_id(), 0);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_TRUE(tok.spec().byte_fallback);
  EXPECT_TRUE(tok.spec().add_prefix_space);
  t::ExpectParity(tok, t::LoadReference(name), /*check_decode=*/true, /*check_special_ids=*/true);
}

TEST(SentencePieceParity, TrainedBpeModel) {
  SKIP_WITHOUT_SENTENCEPIECE();
  ExpectTrainedModelParity("mini_sp_bpe");
}

TEST(SentencePieceParity, TrainedUnigramModel) {
  SKIP_WITHOUT_SENTENCEPIECE();
  ExpectTrainedModelParity("mini_sp_unigram");
}

// The ModelProto rebuilt from Llama 2's tokenizer.json gives HF's ids and text on the same
// reference as the tokenizer.json path, special-token texts included.
TEST(SentencePieceParity, Llama2TokenizerModelMatchesHfTokenizerJson) {
  SKIP_WITHOUT_SENTENCEPIECE();
  const Tokenizer tok =
      Tokenizer::FromSentencePieceModel(t::AssetDir() / "llama2_sp" / "tokenizer.model");
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  t::ExpectParity(tok, t::LoadReference("llama2"), /*check_decode=*/true,
                  /*check_special_ids=*/true);

  const auto dir = t::SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const Tokenizer json = Tokenizer::FromHfJson(dir / "llama2" / "tokenizer.json");
  EXPECT_EQ(tok.spec().vocab, json.spec().vocab);
  for (int32_t id : {0, 1, 2}) EXPECT_TRUE(tok.IsSpecial(id)) << id;
  EXPECT_FALSE(tok.IsSpecial(3));
}

}  // namespace
}  // namespace qlsweep::trainer
