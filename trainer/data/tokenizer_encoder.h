// The trial's tokenizer: chosen from the config and the weights, wrapped as a data TextEncoder.
#pragma once

#include <memory>
#include <string>

#include "trainer/data/text_encoder.h"
#include "trainer/io/weight_source.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {

class TokenizerEncoder : public TextEncoder {
 public:
  explicit TokenizerEncoder(Tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}
  std::vector<int64_t> Encode(const std::string& text) const override;
  int64_t eos_id() const override { return tokenizer_.eos_id(); }
  const Tokenizer& tokenizer() const { return tokenizer_; }

 private:
  Tokenizer tokenizer_;
};

// model.tokenizer when given (a tokenizer.json or a SentencePiece .model), else the vocabulary
// inside a GGUF `weights` file, else tokenizer.json (or tokenizer.model) beside an HF
// checkpoint. The tokenizer's vocabulary must fit the model's (`model_vocab`). Throws
// std::invalid_argument naming the file when none is found or the sizes disagree.
std::unique_ptr<TokenizerEncoder> OpenTokenizer(const std::string& tokenizer_path,
                                                const std::string& weights_path,
                                                int64_t model_vocab);

}  // namespace qlsweep::trainer
