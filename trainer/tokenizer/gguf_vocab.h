// The tokenizer arrays of a GGUF file (tokenizer.ggml.*), as a GGUF reader hands them over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qlsweep::trainer {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class GgufTokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct GgufVocab {
  std::string source;  // the file, for error messages
  std::string model;   // tokenizer.ggml.model: "gpt2" (byte-level) or "llama" (SentencePiece)
  // tokenizer.ggml.pre: "gpt2", "smollm", "llama-bpe", ... ("" = gpt2); byte-level only.
  std::string pre;
  std::vector<std::string> tokens;  // tokenizer.ggml.tokens
  // tokenizer.ggml.merges, "left right" in rank order. A "llama" vocabulary usually has none:
  // then the merges follow tokenizer.ggml.scores (higher score merges first).
  std::vector<std::string> merges;
  std::vector<float> scores;         // tokenizer.ggml.scores
  std::vector<int32_t> token_types;  // tokenizer.ggml.token_type; empty: all normal
  std::optional<int32_t> bos_id;     // tokenizer.ggml.bos_token_id
  std::optional<int32_t> eos_id;     // tokenizer.ggml.eos_token_id
  std::optional<int32_t> unk_id;     // tokenizer.ggml.unknown_token_id
  std::optional<bool> add_bos;       // tokenizer.ggml.add_bos_token (default: llama yes, gpt2 no)
  std::optional<bool> add_eos;       // tokenizer.ggml.add_eos_token (default no)
  std::optional<bool> add_space_prefix;  // tokenizer.ggml.add_space_prefix (llama; default yes)
  std::string chat_template;             // tokenizer.chat_template
};

}  // namespace qlsweep::trainer
