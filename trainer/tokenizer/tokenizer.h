// A tokenizer (byte-level BPE, SentencePiece-style BPE, or a SentencePiece model) that encodes
// text to ids and back.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trainer/tokenizer/added_tokens.h"
#include "trainer/tokenizer/bpe_merges.h"
#include "trainer/tokenizer/gguf_vocab.h"
#include "trainer/tokenizer/sentencepiece_model.h"
#include "trainer/tokenizer/tokenizer_spec.h"

namespace qlsweep::trainer {

struct EncodeOptions {
  bool add_special_tokens = false;  // BOS/EOS as the tokenizer's spec says (HF's flag)
  bool parse_special = true;        // match added tokens in the text; off: they are plain text
};

class Tokenizer {
 public:
  // Validates the spec: merges and added tokens refer to vocabulary entries, byte fallback has
  // all 256 <0xNN> tokens, special ids are in range. Throws std::runtime_error naming
  // spec.source and the offending entry.
  explicit Tokenizer(TokenizerSpec spec);

  // HF tokenizer.json (model BPE; ByteLevel or Prepend/Replace-"▁" normalizer); reads
  // tokenizer_config.json beside it, if present, for the chat template.
  static Tokenizer FromHfJson(const std::filesystem::path& tokenizer_json);
  // GPT-2's encoder.json + vocab.bpe; "<|endoftext|>" becomes a special token (BOS/EOS).
  static Tokenizer FromGpt2Files(const std::filesystem::path& encoder_json,
                                 const std::filesystem::path& vocab_bpe);
  // The tokenizer.ggml.* arrays of a GGUF file.
  static Tokenizer FromVocab(const GgufVocab& vocab);
  // A SentencePiece tokenizer.model (e.g. Llama 2's), encoded and decoded by libsentencepiece.
  // Control pieces (<s>, </s>) and <unk> are special tokens matched in the raw text, as in HF's
  // conversion; add_special_tokens adds BOS. Throws std::runtime_error naming the file when it
  // is missing or corrupt, or when the build has no libsentencepiece.
  static Tokenizer FromSentencePieceModel(const std::filesystem::path& model_file);
  // Picks the reader by the file name: *.model is a SentencePiece model, anything else HF's
  // tokenizer.json; a folder is read through FindTokenizerFile.
  static Tokenizer FromFile(const std::filesystem::path& file);

  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // UTF-8 text of ids (ill-formed sequences become U+FFFD, as HF's decode does).
  std::string Decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // Number of ids, added tokens included.
  int64_t vocab_size() const { return static_cast<int64_t>(spec_.vocab.size()); }
  // Throws std::runtime_error when the model's embedding has a different number of rows than
  // this vocabulary (allow_padding: more rows than tokens is fine, as in padded embeddings).
  void CheckModelVocabSize(int64_t model_vocab_size, std::string_view model_source,
                           bool allow_padding = false) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  const std::string& IdToToken(int32_t id) const;  // throws std::out_of_range
  bool IsSpecial(int32_t id) const;

  TokenizerKind kind() const { return spec_.kind; }
  int32_t bos_id() const { return spec_.bos_id; }
  int32_t eos_id() const { return spec_.eos_id; }
  int32_t unk_id() const { return spec_.unk_id; }
  const std::string& chat_template() const { return spec_.chat_template; }
  const TokenizerSpec& spec() const { return spec_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using WordCache =
      std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;

  void EncodeByteLevel(std::string_view text, WordCache& cache, std::vector<int32_t>& out) const;
  void EncodeSentencePiece(std::string_view text, WordCache& cache,
                           std::vector<int32_t>& out) const;
  void EncodeWord(std::string_view word, std::vector<int32_t>& out) const;
  std::string DecodeSentencePiece(const std::vector<const std::string*>& tokens) const;
  std::string DecodeWithModel(std::span<const int32_t> ids, bool skip_special) const;

  Tokenizer(TokenizerSpec spec, std::shared_ptr<const SentencePieceModel> model);

  TokenizerSpec spec_;
  std::shared_ptr<const SentencePieceModel> model_;  // kSentencePieceModel: encodes and decodes
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> token_to_id_;
  BpeMerges merges_;
  AddedTokenMatcher added_;
  std::vector<bool> special_;           // by id
  std::vector<int32_t> byte_ids_;       // <0xNN> ids (kSentencePiece with byte fallback)
  std::array<int32_t, 128> ascii_ids_;  // ids of the one-byte tokens (kNoToken where none)
  // kSentencePiece: no token has a "▁" right after another character, so no merge can cross the
  // place before a "▁" that follows a non-"▁": the text is split there and the pieces cached.
  bool split_before_markers_ = false;
};

// The tokenizer file of an HF checkpoint folder: tokenizer.json, else tokenizer.model (HF's own
// order, the fast tokenizer first); nullopt when it has neither.
std::optional<std::filesystem::path> FindTokenizerFile(const std::filesystem::path& folder);

}  // namespace qlsweep::trainer
