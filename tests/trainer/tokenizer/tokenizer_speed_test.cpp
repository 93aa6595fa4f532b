// Encoding speed: a megabyte of mixed text must encode well under a second.
#include <gtest/gtest.h>

#include <ctime>
#include <random>

#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

using testing::LoadReference;
using testing::SharedTokenizerDir;

// About 1 MB: the reference texts in a shuffled order, repeated, joined by spaces and newlines.
std::string MegabyteOfText() {
  std::vector<std::string> texts;
  for (const auto& c : LoadReference("gpt2").cases) texts.push_back(c.text);
  std::mt19937 rng(5);
  std::string out;
  while (out.size() < (1u << 20)) {
    out += texts[rng() % texts.size()];
    out += rng() % 4 == 0 ? "\n" : " ";
  }
  return out;
}

// About 1 MB of random words over a mixed alphabet: few repeats, so the word cache rarely helps.
std::string MegabyteOfRandomWords() {
  const std::vector<std::string> pieces = {"a",  "e",  "t", "o", "n", "s", "r", "é",  "ß", "ж",
                                           "中", "文", "😀", "1", "7", ".", ",", "'s", "-", "\n"};
  std::mt19937 rng(9);
  std::string out;
  while (out.size() < (1u << 20)) {
    const int length = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < length; ++i) out += pieces[rng() % pieces.size()];
    out += ' ';
  }
  return out;
}

// CPU seconds of this thread (not wall time, which other processes on a shared machine stretch).
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double SecondsToEncode(const Tokenizer& tok, const std::string& text, std::vector<int32_t>& ids) {
  const double start = ThreadCpuSeconds();
  ids = tok.Encode(text, {.parse_special = false});
  return ThreadCpuSeconds() - start;
}

TEST(TokenizerSpeed, OneMegabyteUnderASecond) {
  const auto dir = SharedTokenizerDir();
  ASSERT_FALSE(dir.empty());
  const std::string texts[] = {MegabyteOfText(), MegabyteOfRandomWords()};
  const Tokenizer gpt2 =
      Tokenizer::FromGpt2Files(dir / "gpt2" / "encoder.json", dir / "gpt2" / "vocab.bpe");
  const Tokenizer llama2 = Tokenizer::FromHfJson(dir / "llama2" / "tokenizer.json");
  std::vector<const Tokenizer*> tokenizers = {&gpt2, &llama2};
#ifdef QLSWEEP_HAVE_SENTENCEPIECE
  const Tokenizer llama2_model =
      Tokenizer::FromSentencePieceModel(testing::AssetDir() / "llama2_sp" / "tokenizer.model");
  tokenizers.push_back(&llama2_model);
#endif
  for (const std::string& text : texts) {
    std::vector<std::vector<int32_t>> ids(tokenizers.size());
    for (size_t i = 0; i < tokenizers.size(); ++i) {
      const double seconds = SecondsToEncode(*tokenizers[i], text, ids[i]);
      std::cout << tokenizers[i]->spec().source << ": " << text.size() << " bytes -> "
                << ids[i].size() << " ids in " << seconds << " CPU s\n";
      EXPECT_GT(ids[i].size(), text.size() / 10);
      EXPECT_LT(seconds, 1.0);
    }
    // Llama 2's tokenizer.model (when built with libsentencepiece) agrees with its tokenizer.json.
    if (ids.size() > 2) {
      EXPECT_TRUE(ids[2] == ids[1]);
    }
  }
}

}  // namespace
}  // namespace qlsweep::trainer
