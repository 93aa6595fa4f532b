// Splits text into words before BPE: the GPT-2 and Llama-3 split regexes as explicit matchers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::trainer {

// The split regexes the byte-level tokenizers use, implemented by hand (docs/tokenizers.md).
enum class SplitPattern {
  kNone,  // the whole text is one word
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
  // \s*[\r\n]+|\s+(?!\S)|\s+
  kLlama3,
};

struct PreTokenizerConfig {
  // HF's Digits(individual_digits=true), llama.cpp's "\p{N}" first pass: every \p{N} character
  // is a word of its own, and the split pattern runs on the text between them.
  bool individual_digits = false;
  SplitPattern pattern = SplitPattern::kNone;
};

// The pre-tokenizer that llama.cpp's tokenizer.ggml.pre name stands for: "gpt2"/"gpt-2",
// "smollm" (digits isolated, then GPT-2), "llama3"/"llama-v3"/"llama-bpe". Throws
// std::invalid_argument naming the unknown name otherwise.
PreTokenizerConfig PreTokenizerFromName(std::string_view name);

// The regex source text HF's tokenizer.json carries for a pattern ("" for kNone).
std::string_view SplitPatternRegex(SplitPattern pattern);

// Appends the words of text, views into text that cover it exactly and in order, to words.
void PreTokenize(const PreTokenizerConfig& config, std::string_view text,
                 std::vector<std::string_view>& words);

}  // namespace qlsweep::trainer
