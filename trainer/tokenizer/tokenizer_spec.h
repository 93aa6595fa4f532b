// Everything that defines a BPE tokenizer, whichever file it was read from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "trainer/tokenizer/added_tokens.h"
#include "trainer/tokenizer/pre_tokenizer.h"

namespace qlsweep::trainer {

inline constexpr int32_t kNoToken = -1;

enum class TokenizerKind {
  // GPT-2 style: text bytes mapped to printable characters, split by a regex, then BPE
  // (GPT-2, SmolLM2, Llama 3).
  kByteLevel,
  // SentencePiece-style BPE as HF converts it (Llama 2): spaces become "▁", one "▁" is prepended,
  // the whole text is one word, and characters outside the vocabulary fall back to <0xNN> tokens.
  kSentencePiece,
  // A SentencePiece tokenizer.model run by libsentencepiece (BPE or unigram, the model's own
  // normalizer); the spec holds its pieces, special ids and control tokens (sentencepiece_model.h).
  kSentencePieceModel,
};

struct TokenizerSpec {
  std::string source;  // the file(s) it came from, for error messages
  TokenizerKind kind = TokenizerKind::kByteLevel;
  std::vector<std::string> vocab;  // id -> token text; dense, includes the added tokens
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order, first merges first
  // The rank of each merge when several share one (SentencePiece scores: every split of a token
  // has the token's score, and among equal ranks the leftmost pair merges first); empty: the
  // index in `merges`.
  std::vector<int32_t> merge_ranks;
  std::vector<AddedToken> added_tokens;  // matched in the raw text before anything else
  PreTokenizerConfig pre_tokenizer;      // kByteLevel only
  // kByteLevel: a ' ' before each text segment that does not start with one (ByteLevel's
  // add_prefix_space); kSentencePiece: a '▁' before each non-empty text segment (Prepend "▁").
  bool add_prefix_space = false;
  bool ignore_merges = false;  // a word that is itself in the vocabulary skips the merges
  bool byte_fallback = false;  // kSentencePiece: unknown characters become <0xNN> tokens
  bool fuse_unk = false;       // consecutive unknown characters give one unk token
  int32_t unk_id = kNoToken;
  int32_t bos_id = kNoToken;
  int32_t eos_id = kNoToken;
  bool add_bos = false;  // what EncodeOptions::add_special_tokens adds
  bool add_eos = false;
  std::string chat_template;  // the Jinja source, not interpreted (see chat_format.h)
};

}  // namespace qlsweep::trainer
