// SentencePiece models: errors that name the file, file dispatch, special tokens and round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/expect_error.h"
#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;
using testing::AssetDir;

// A fresh, empty directory of the test's own.
fs::path TestDir(const std::string& test) {
  const fs::path dir = fs::path(QLSWEEP_BINARY_DIR) / "sentencepiece_errors_test" / test;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Loading file throws a std::runtime_error that names it and contains `what` (in a build
// without libsentencepiece, where a .model file is involved: that support is missing).
void ExpectLoadError(const fs::path& file, std::string what, bool model_file = true) {
  const std::string error =
      qlsweep::testing::ErrorOf<std::runtime_error>([&] { Tokenizer::FromFile(file); });
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
#ifndef QLSWEEP_HAVE_SENTENCEPIECE
  if (model_file) what = "no SentencePiece support";
#endif
  EXPECT_NE(error.find(what), std::string::npos) << error;
}

TEST(SentencePieceErrors, MissingFileNamesIt) {
  ExpectLoadError(TestDir("missing") / "tokenizer.model", "no such SentencePiece model file");
}

TEST(SentencePieceErrors, CorruptFileNamesIt) {
  const fs::path file = TestDir("corrupt") / "tokenizer.model";
  std::ofstream out(file, std::ios::binary);
  for (int i = 0; i < 1000; ++i) out.put(static_cast<char>((i * 7919 + 13) % 251));
  out.close();
  ExpectLoadError(file, "not a valid SentencePiece model");
}

TEST(SentencePieceErrors, TruncatedAndEmptyFilesNameThem) {
  std::ifstream in(AssetDir() / "mini_sp_bpe.model", std::ios::binary);
  std::string bytes(1000, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const fs::path truncated = TestDir("truncated") / "tokenizer.model";
  std::ofstream(truncated, std::ios::binary) << bytes;
  ExpectLoadError(truncated, "not a valid SentencePiece model");
  const fs::path empty = TestDir("empty") / "tokenizer.model";
  std::ofstream(empty, std::ios::binary).close();
  ExpectLoadError(empty, "not a valid SentencePiece model");
}

TEST(SentencePieceErrors, FolderWithoutTokenizerNamesIt) {
  ExpectLoadError(TestDir("empty_folder"), "without tokenizer.json or tokenizer.model",
                  /*model_file=*/false);
}

TEST(SentencePieceErrors, SpecWithoutModelFileIsRejected) {
  TokenizerSpec spec;
  spec.source = "hand-made";
  spec.kind = TokenizerKind::kSentencePieceModel;
  spec.vocab = {"<unk>", "a"};
  EXPECT_THROW(Tokenizer{spec}, std::runtime_error);
}

TEST(SentencePieceFiles, CheckpointFolderPrefersTokenizerJson) {
  const fs::path dir = TestDir("folder");
  EXPECT_FALSE(FindTokenizerFile(dir).has_value());
  std::ofstream(dir / "tokenizer.model").close();
  EXPECT_EQ(FindTokenizerFile(dir), dir / "tokenizer.model");
  std::ofstream(dir / "tokenizer.json").close();
  EXPECT_EQ(FindTokenizerFile(dir), dir / "tokenizer.json");
}

TEST(SentencePieceFiles, FromFileReadsModelFilesAndFolders) {
#ifndef QLSWEEP_HAVE_SENTENCEPIECE
  GTEST_SKIP() << "built without libsentencepiece";
#endif
  EXPECT_EQ(Tokenizer::FromFile(AssetDir() / "mini_sp_bpe.model").kind(),
            TokenizerKind::kSentencePieceModel);
  EXPECT_EQ(Tokenizer::FromFile(AssetDir() / "llama2_sp").kind(),
            TokenizerKind::kSentencePieceModel);
  EXPECT_EQ(Tokenizer::FromFile(AssetDir() / "mini_smollm").kind(), TokenizerKind::kByteLevel);
}

#ifdef QLSWEEP_HAVE_SENTENCEPIECE

// Control pieces are special tokens: matched in the text, shown or skipped by Decode; a
// "▁" after one keeps its space (only the very start loses the dummy prefix's space).
TEST(SentencePieceTokenizer, ControlTokensInTextAndDecode) {
  const Tokenizer tok = Tokenizer::FromSentencePieceModel(AssetDir() / "mini_sp_bpe.model");
  const std::vector<int32_t> ids = tok.Encode("<s>the cat</s> sat");
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), tok.bos_id());
  EXPECT_NE(std::find(ids.begin(), ids.end(), tok.eos_id()), ids.end());
  // Each text segment gets the dummy prefix, as in HF: " sat" is "▁▁sat".
  EXPECT_EQ(tok.Decode(ids), "<s> the cat</s>  sat");
  EXPECT_EQ(tok.Decode(ids, /*skip_special=*/true), "the cat  sat");
  const std::vector<int32_t> plain = tok.Encode("<s>the cat</s> sat", {.parse_special = false});
  EXPECT_EQ(std::find(plain.begin(), plain.end(), tok.bos_id()), plain.end());
  EXPECT_EQ(tok.Decode(plain), "<s>the cat</s> sat");
  EXPECT_EQ(tok.Encode("x", {.add_special_tokens = true}).front(), tok.bos_id());
  EXPECT_THROW(tok.Decode(std::vector<int32_t>{800}), std::out_of_range);
}

TEST(SentencePieceTokenizer, RoundTripsTextWithBytesAndWhitespace) {
  for (const char* model : {"mini_sp_bpe.model", "mini_sp_unigram.model"}) {
    const Tokenizer tok = Tokenizer::FromSentencePieceModel(AssetDir() / model);
    for (const std::string text :
         {"", " ", "  two leading", "tabs\t\tand\nnew\r\nlines  ", "digits 1234567890",
          "Zürich 中文 한국어 👩‍👩‍👧‍👦 \xF0\x9F\x98\x80",
          "\u00a0nbsp and \u3000"}) {
      EXPECT_EQ(tok.Decode(tok.Encode(text)), text) << model << ": \"" << text << "\"";
    }
  }
}

#endif

}  // namespace
}  // namespace qlsweep::trainer
