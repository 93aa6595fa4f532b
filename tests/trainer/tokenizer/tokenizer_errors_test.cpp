// Clear errors for broken tokenizer files and vocabularies that disagree with the model.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/expect_error.h"
#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;

// Whether text contains part, showing text when it does not.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// Writes text to a fresh tokenizer.json in its own directory and returns its path.
fs::path WriteTokenizerJson(const std::string& test, const std::string& text) {
  const fs::path dir = fs::path(QLSWEEP_BINARY_DIR) / "tokenizer_errors_test" / test;
  fs::create_directories(dir);
  const fs::path file = dir / "tokenizer.json";
  std::ofstream(file) << text;
  return file;
}

// The message of the std::runtime_error that FromHfJson throws.
std::string LoadError(const fs::path& file) {
  return qlsweep::testing::ErrorOf<std::runtime_error>([&] { Tokenizer::FromHfJson(file); });
}

const std::string kPre = R"("pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false})";

TEST(TokenizerErrors, MissingModelNamesFileAndKey) {
  const fs::path file = WriteTokenizerJson("no_model", "{" + kPre + "}");
  const std::string error = LoadError(file);
  EXPECT_TRUE(Contains(error, file.string()));
  EXPECT_TRUE(Contains(error, "missing key 'model'"));
}

TEST(TokenizerErrors, MissingVocabNamesFileAndKey) {
  const fs::path file =
      WriteTokenizerJson("no_vocab", "{" + kPre + R"(, "model": {"type": "BPE", "merges": []}})");
  const std::string error = LoadError(file);
  EXPECT_TRUE(Contains(error, file.string()));
  EXPECT_TRUE(Contains(error, "missing key 'model.vocab'"));
}

TEST(TokenizerErrors, MissingMergesNamesFileAndKey) {
  const fs::path file = WriteTokenizerJson(
      "no_merges", "{" + kPre + R"(, "model": {"type": "BPE", "vocab": {"a": 0}}})");
  const std::string error = LoadError(file);
  EXPECT_TRUE(Contains(error, file.string()));
  EXPECT_TRUE(Contains(error, "missing key 'model.merges'"));
}

TEST(TokenizerErrors, MergeOutsideVocabulary) {
  const fs::path file = WriteTokenizerJson(
      "bad_merge",
      "{" + kPre + R"(, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})");
  const std::string error = LoadError(file);
  EXPECT_TRUE(Contains(error, file.string()));
  EXPECT_TRUE(Contains(error, "merge 0 'a c'"));
}

TEST(TokenizerErrors, UnsupportedModelAndBrokenJson) {
  EXPECT_TRUE(
      Contains(LoadError(WriteTokenizerJson("wordpiece", R"({"model": {"type": "WordPiece"}})")),
               "unsupported model.type 'WordPiece'"));
  EXPECT_TRUE(Contains(LoadError(WriteTokenizerJson("truncated", R"({"model": {"type": "BP)")),
                       "not valid JSON"));
  EXPECT_TRUE(Contains(LoadError(fs::path(QLSWEEP_BINARY_DIR) / "no_such_dir" / "tokenizer.json"),
                       "cannot open"));
}

TEST(TokenizerErrors, SparseIdsAndAddedTokenMismatch) {
  EXPECT_TRUE(
      Contains(LoadError(WriteTokenizerJson(
                   "sparse", "{" + kPre + R"(, "model": {"type": "BPE", "vocab": {"a": 0, "b": 2},
                  "merges": []}})")),
               "no token has id 1"));
  EXPECT_TRUE(Contains(LoadError(WriteTokenizerJson(
                           "added", "{" + kPre + R"(, "added_tokens": [{"id": 0, "content": "<s>",
                  "special": true}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})")),
                       "id 0 is both 'a' and '<s>'"));
}

TEST(TokenizerErrors, VocabularySizeAgainstModel) {
  const Tokenizer tok =
      Tokenizer::FromHfJson(testing::AssetDir() / "mini_smollm" / "tokenizer.json");
  EXPECT_NO_THROW(tok.CheckModelVocabSize(tok.vocab_size(), "model.gguf"));
  try {
    tok.CheckModelVocabSize(49152, "SmolLM2-135M.gguf");
    FAIL() << "no error for a vocabulary size mismatch";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(Contains(e.what(), std::to_string(tok.vocab_size()) + " tokens"));
    EXPECT_TRUE(Contains(e.what(), "SmolLM2-135M.gguf has 49152 embedding rows"));
  }
  EXPECT_NO_THROW(tok.CheckModelVocabSize(tok.vocab_size() + 64, "padded", true));
  EXPECT_THROW(tok.CheckModelVocabSize(tok.vocab_size() - 1, "short", true), std::runtime_error);
}

TEST(TokenizerErrors, GgufVocabChecks) {
  GgufVocab v;
  v.source = "x.gguf";
  v.model = "bert";
  v.tokens = {"a"};
  EXPECT_THROW(
      {
        try {
          Tokenizer::FromVocab(v);
        } catch (const std::runtime_error& e) {
          EXPECT_TRUE(Contains(e.what(), "x.gguf: unsupported tokenizer.ggml.model 'bert'"));
          throw;
        }
      },
      std::runtime_error);
  v.model = "gpt2";
  v.token_types = {1, 1};
  EXPECT_THROW(Tokenizer::FromVocab(v), std::runtime_error);  // type count != token count
  v.token_types.clear();
  v.pre = "no-such-pre";
  v.merges = {"a a"};
  EXPECT_THROW(Tokenizer::FromVocab(v), std::invalid_argument);
}

// Numbers where ids belong: a float (4.5e38 was undefined behaviour in the int conversion, found
// by fuzz/tokenizer_json), a fraction, a negative or a string id each name the file and the key.
TEST(TokenizerErrors, IdsThatAreNotWholeNumbersNameFileAndKey) {
  const std::string model = R"(, "model": {"type": "BPE", "merges": [], "vocab": {"a": 0, "b": )";
  for (const auto& [name, id] : std::vector<std::pair<std::string, std::string>>{
           {"huge_float", "4.5e38"}, {"fraction", "1.5"}, {"negative", "-1"}, {"text", "\"1\""}}) {
    const fs::path file = WriteTokenizerJson("id_" + name, "{" + kPre + model + id + "}}}");
    const std::string error = LoadError(file);
    EXPECT_TRUE(Contains(error, file.string())) << name;
    EXPECT_TRUE(Contains(error, "'model.vocab['b']' must be a whole number in 0..")) << name;
  }
}

// Ids past the vocabulary's size leave gaps and must not size the id table (1e9 entries).
TEST(TokenizerErrors, AnIdFarPastTheVocabularyIsAGap) {
  const fs::path file = WriteTokenizerJson(
      "id_far", "{" + kPre + R"(, "model": {"type": "BPE", "merges": [], "vocab": {"a": 0, "b": )" +
                    "1000000000}}}");
  EXPECT_TRUE(Contains(LoadError(file),
                       "no token has id 1 (ids must be dense; the largest is 1000000000)"));
}

// A value of the wrong JSON type anywhere names the file, not only the library's words.
TEST(TokenizerErrors, WrongJsonTypesNameTheFile) {
  const fs::path file = WriteTokenizerJson(
      "wrong_type", "{" + kPre + R"(, "model": {"type": "BPE", "dropout": "high", "vocab": {}}})");
  const std::string error = LoadError(file);
  EXPECT_TRUE(Contains(error, file.string() + ": unexpected JSON value: "));
  EXPECT_TRUE(Contains(error, "type must be number"));
}

}  // namespace
}  // namespace qlsweep::trainer
