// Unit tests of the tokenizer's pieces: UTF-8, byte map, splitters, merge loop, added tokens.
#include <gtest/gtest.h>

#include "trainer/tokenizer/added_tokens.h"
#include "trainer/tokenizer/bpe_merges.h"
#include "trainer/tokenizer/byte_level.h"
#include "trainer/tokenizer/pre_tokenizer.h"
#include "trainer/tokenizer/tokenizer.h"
#include "trainer/tokenizer/unicode.h"

namespace qlsweep::trainer {
namespace {

std::vector<std::string> Split(std::string_view name, std::string_view text) {
  std::vector<std::string_view> words;
  PreTokenize(PreTokenizerFromName(name), text, words);
  return {words.begin(), words.end()};
}

TEST(Utf8, DecodesAndReplacesMaximalSubparts) {
  EXPECT_EQ(DecodeUtf8("é", 0).cp, U'é');
  EXPECT_EQ(DecodeUtf8("😀", 0).length, 4u);
  EXPECT_FALSE(DecodeUtf8("\xC0\xAF", 0).valid);     // overlong
  EXPECT_EQ(DecodeUtf8("\xE2\x82x", 0).length, 2u);  // truncated 3-byte sequence
  EXPECT_EQ(Utf8Lossy("a\xE2\x82x\xFF"), "a\xEF\xBF\xBDx\xEF\xBF\xBD");
  std::string s;
  AppendUtf8(U'中', s);
  EXPECT_EQ(s, "中");
}

TEST(Utf8, CharacterClasses) {
  EXPECT_TRUE(IsLetter(U'a') && IsLetter(U'ж') && IsLetter(U'中') && IsLetter(U'ǅ'));
  EXPECT_FALSE(IsLetter(U'1') || IsLetter(U'\u0301') || IsLetter(U'😀'));
  EXPECT_TRUE(IsNumber(U'7') && IsNumber(U'٣') && IsNumber(U'½') && IsNumber(U'Ⅷ'));
  EXPECT_TRUE(IsWhitespace(U'\u00a0') && IsWhitespace(U'\u3000') && IsWhitespace(U'\u0085'));
  EXPECT_FALSE(IsWhitespace(U'\u200b') || IsWhitespace(U'x'));
}

TEST(ByteLevel, MapsEveryByteAndBack) {
  EXPECT_EQ(ByteToChar(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(ByteToChar('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(ByteToChar('A'), U'A');
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string mapped;
  AppendByteLevel(all, mapped);
  EXPECT_EQ(ByteLevelToBytes(mapped), all);
  EXPECT_EQ(ByteLevelToBytes("<|im_end|>"), "<|im_end|>");
  EXPECT_EQ(ByteLevelToBytes("▁x"), "▁x");  // not byte-level characters: kept as they are
}

TEST(PreTokenizer, Gpt2Splits) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Split("gpt2", "Hello  world"), (V{"Hello", " ", " world"}));
  EXPECT_EQ(Split("gpt2", "it's 42!!"), (V{"it", "'s", " 42", "!!"}));
  EXPECT_EQ(Split("gpt2", "a\n\nb  "), (V{"a", "\n", "\n", "b", "  "}));
  EXPECT_EQ(Split("gpt2", "x \n y"), (V{"x", " \n", " y"}));
  EXPECT_EQ(Split("gpt2", "I'M"), (V{"I", "'", "M"}));  // case-sensitive contractions
  EXPECT_TRUE(Split("gpt2", "").empty());
}

TEST(PreTokenizer, SmollmIsolatesDigits) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Split("smollm", "abc 123x"), (V{"abc", " ", "1", "2", "3", "x"}));
}

TEST(PreTokenizer, Llama3Splits) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Split("llama3", "I'M 1234567"), (V{"I", "'M", " ", "123", "456", "7"}));
  EXPECT_EQ(Split("llama3", ".Hello\n\n  x"), (V{".Hello", "\n\n", " ", " x"}));
  EXPECT_EQ(Split("llama3", "a ;;\n\nb"), (V{"a", " ;;\n\n", "b"}));
  EXPECT_THROW(PreTokenizerFromName("falcon"), std::invalid_argument);
}

TEST(BpeMerges, LowestRankFirstLeftmostAmongEquals) {
  BpeMerges merges;
  merges.Add(0, 0, 3, 0);  // a a -> aa
  merges.Add(3, 1, 4, 1);  // aa b -> aab
  merges.Add(0, 1, 5, 2);  // a b -> ab
  std::vector<int32_t> s = {0, 0, 0};
  merges.Apply(s);
  EXPECT_EQ(s, (std::vector<int32_t>{3, 0}));
  s = {0, 0, 1};
  merges.Apply(s);
  EXPECT_EQ(s, (std::vector<int32_t>{4}));
  s = {0, 1, 0, 0, 1};  // ab (rank 2) loses to aa (rank 0) and aab (rank 1) on the right
  merges.Apply(s);
  EXPECT_EQ(s, (std::vector<int32_t>{5, 4}));
}

TEST(AddedTokens, LeftmostLongest) {
  const AddedTokenMatcher m({{1, "<a>", true}, {2, "<a><b>", true}, {3, "b", false}});
  const auto seg = m.Split("x<a><b>y<a>");
  ASSERT_EQ(seg.size(), 4u);
  EXPECT_EQ(seg[0].text, "x");
  EXPECT_EQ(seg[1].token_id, 2);
  EXPECT_EQ(seg[2].text, "y");
  EXPECT_EQ(seg[3].token_id, 1);
}

// A hand-made byte-level vocabulary: the 256 byte characters plus "Ġh", "Ġhi".
TEST(Tokenizer, SmallByteLevelSpec) {
  TokenizerSpec spec;
  spec.source = "test";
  for (int b = 0; b < 256; ++b) {
    std::string c;
    AppendUtf8(ByteToChar(static_cast<unsigned char>(b)), c);
    spec.vocab.push_back(c);
  }
  spec.vocab.push_back("\u0120h");   // 256
  spec.vocab.push_back("\u0120hi");  // 257
  spec.vocab.push_back("<eos>");     // 258
  spec.merges = {{"\u0120", "h"}, {"\u0120h", "i"}};
  spec.added_tokens = {{258, "<eos>", true}};
  spec.pre_tokenizer = PreTokenizerFromName("gpt2");
  spec.eos_id = 258;
  spec.add_eos = true;
  const Tokenizer tok(spec);
  EXPECT_EQ(tok.Encode("hi hi<eos>"), (std::vector<int32_t>{'h', 'i', 257, 258}));
  EXPECT_EQ(tok.Encode("hi", {.add_special_tokens = true}), (std::vector<int32_t>{'h', 'i', 258}));
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{257, 258}), " hi<eos>");
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{257, 258}, /*skip_special=*/true), " hi");
  EXPECT_EQ(tok.Encode("<eos>", {.parse_special = false}).size(), 5u);
  EXPECT_EQ(tok.TokenToId("\u0120hi"), 257);
  EXPECT_EQ(tok.IdToToken(256), "\u0120h");
  EXPECT_THROW(tok.IdToToken(259), std::out_of_range);
}

// SentencePiece-style: "▁" for spaces and in front; here a token has "▁" inside ("a▁b"), so the
// text stays one word and the merge across the space happens; unknown characters fuse into unk.
TEST(Tokenizer, SentencePieceMergesAcrossMarkersWhenVocabularyHasThem) {
  TokenizerSpec spec;
  spec.source = "test";
  spec.kind = TokenizerKind::kSentencePiece;
  spec.vocab = {"<unk>", "▁", "a", "b", "▁a", "a▁", "a▁b"};
  spec.merges = {{"a", "▁"}, {"a▁", "b"}, {"▁", "a"}};
  spec.add_prefix_space = true;
  spec.unk_id = 0;
  spec.fuse_unk = true;
  const Tokenizer tok(spec);
  EXPECT_EQ(tok.Encode("a b"), (std::vector<int32_t>{1, 6}));
  EXPECT_EQ(tok.Encode("xya"), (std::vector<int32_t>{1, 0, 2}));  // "▁", "x"+"y" fused, "a"
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{1, 6}), "a b");
}

}  // namespace
}  // namespace qlsweep::trainer
