// Picking and opening the tokenizer of a trial.
#include "trainer/data/tokenizer_encoder.h"

#include <filesystem>
#include <stdexcept>

#include "trainer/io/gguf_source.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;

Tokenizer FindTokenizer(const std::string& tokenizer_path, const std::string& weights_path) {
  if (!tokenizer_path.empty()) return Tokenizer::FromFile(tokenizer_path);
  if (weights_path.empty()) {
    throw std::invalid_argument(
        "model.tokenizer: text data needs a tokenizer (give model.tokenizer or model.weights)");
  }
  if (fs::path(weights_path).extension() == ".gguf") {
    return Tokenizer::FromVocab(GgufSource(weights_path).Tokenizer());
  }
  if (const auto beside = FindTokenizerFile(weights_path)) return Tokenizer::FromFile(*beside);
  throw std::invalid_argument("model.tokenizer: no tokenizer.json or tokenizer.model in " +
                              weights_path + "; give model.tokenizer");
}

}  // namespace

std::vector<int64_t> TokenizerEncoder::Encode(const std::string& text) const {
  const auto ids = tokenizer_.Encode(text);
  return {ids.begin(), ids.end()};
}

std::unique_ptr<TokenizerEncoder> OpenTokenizer(const std::string& tokenizer_path,
                                                const std::string& weights_path,
                                                int64_t model_vocab) {
  auto encoder = std::make_unique<TokenizerEncoder>(FindTokenizer(tokenizer_path, weights_path));
  try {
    encoder->tokenizer().CheckModelVocabSize(
        model_vocab, weights_path.empty() ? "the model preset" : weights_path,
        /*allow_padding=*/true);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  return encoder;
}

}  // namespace qlsweep::trainer
