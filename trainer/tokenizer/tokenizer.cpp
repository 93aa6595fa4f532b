// A tokenizer (byte-level BPE, SentencePiece-style BPE, or a SentencePiece model) that encodes
// text to ids and back.
#include "trainer/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "trainer/tokenizer/byte_level.h"
#include "trainer/tokenizer/unicode.h"

namespace qlsweep::trainer {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 '▁'

std::string ByteTokenName(int b) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", b);
  return name;
}

// The byte a "<0xNN>" token stands for, or -1.
int ByteTokenValue(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return -1;
  int value = 0;
  for (char c : token.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9') {
      value += c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value += c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      value += c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

// Whether a "▁" follows some other character in token.
bool HasInnerMarker(std::string_view token) {
  for (size_t pos = token.find(kSpaceMarker, 1); pos != std::string_view::npos;
       pos = token.find(kSpaceMarker, pos + 1)) {
    if (token.substr(0, pos).ends_with(kSpaceMarker)) continue;
    return true;
  }
  return false;
}

}  // namespace

Tokenizer::Tokenizer(TokenizerSpec spec) : Tokenizer(std::move(spec), nullptr) {}

Tokenizer::Tokenizer(TokenizerSpec spec, std::shared_ptr<const SentencePieceModel> model)
    : spec_(std::move(spec)), model_(std::move(model)) {
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error("tokenizer " + spec_.source + ": " + what);
  };
  if (spec_.vocab.empty()) fail("empty vocabulary");
  if ((spec_.kind == TokenizerKind::kSentencePieceModel) != (model_ != nullptr)) {
    fail(
        "a SentencePiece model tokenizer needs its .model file "
        "(Tokenizer::FromSentencePieceModel)");
  }
  const int32_t n = static_cast<int32_t>(spec_.vocab.size());
  token_to_id_.reserve(spec_.vocab.size());
  for (int32_t id = 0; id < n; ++id) token_to_id_.try_emplace(spec_.vocab[id], id);

  if (!spec_.merge_ranks.empty() && spec_.merge_ranks.size() != spec_.merges.size()) {
    fail(std::to_string(spec_.merge_ranks.size()) + " merge ranks for " +
         std::to_string(spec_.merges.size()) + " merges");
  }
  ascii_ids_.fill(kNoToken);
  for (int c = 0; c < 128; ++c) {
    if (auto id = TokenToId(std::string(1, static_cast<char>(c)))) ascii_ids_[c] = *id;
  }
  for (size_t rank = 0; rank < spec_.merges.size(); ++rank) {
    const auto& [left, right] = spec_.merges[rank];
    const auto l = TokenToId(left), r = TokenToId(right), m = TokenToId(left + right);
    if (!l || !r || !m) {
      fail("merge " + std::to_string(rank) + " '" + left + " " + right + "' uses a token (" +
           (!l   ? left
            : !r ? right
                 : left + right) +
           ") that is not in the vocabulary");
    }
    merges_.Add(*l, *r, *m,
                spec_.merge_ranks.empty() ? static_cast<int32_t>(rank) : spec_.merge_ranks[rank]);
  }

  special_.assign(spec_.vocab.size(), false);
  for (const AddedToken& t : spec_.added_tokens) {
    if (t.id < 0 || t.id >= n) {
      fail("added token '" + t.content + "' has id " + std::to_string(t.id) +
           " outside the vocabulary of " + std::to_string(n));
    }
    if (spec_.vocab[t.id] != t.content) {
      fail("added token '" + t.content + "' has id " + std::to_string(t.id) +
           ", which the vocabulary names '" + spec_.vocab[t.id] + "'");
    }
    special_[t.id] = t.special;
  }
  added_ = AddedTokenMatcher(spec_.added_tokens);

  for (auto [name, id] : {std::pair{"unk", spec_.unk_id}, std::pair{"bos", spec_.bos_id},
                          std::pair{"eos", spec_.eos_id}}) {
    if (id != kNoToken && (id < 0 || id >= n)) {
      fail(std::string(name) + " id " + std::to_string(id) + " is outside the vocabulary of " +
           std::to_string(n));
    }
  }
  if (spec_.add_bos && spec_.bos_id == kNoToken) fail("add_bos without a bos token");
  if (spec_.add_eos && spec_.eos_id == kNoToken) fail("add_eos without an eos token");

  if (spec_.kind == TokenizerKind::kSentencePiece && spec_.byte_fallback) {
    byte_ids_.resize(256);
    for (int b = 0; b < 256; ++b) {
      const auto id = TokenToId(ByteTokenName(b));
      if (!id) fail("byte_fallback is on but " + ByteTokenName(b) + " is not in the vocabulary");
      byte_ids_[b] = *id;
    }
  }
  if (spec_.kind == TokenizerKind::kSentencePiece) {
    split_before_markers_ = std::none_of(spec_.vocab.begin(), spec_.vocab.end(),
                                         [](const std::string& t) { return HasInnerMarker(t); });
  }
  if (spec_.kind == TokenizerKind::kByteLevel && spec_.unk_id == kNoToken) {
    for (int b = 0; b < 256; ++b) {
      std::string c;
      AppendUtf8(ByteToChar(static_cast<unsigned char>(b)), c);
      if (!TokenToId(c)) {
        fail("byte-level vocabulary lacks the character for byte " + std::to_string(b) +
             " and has no unk token");
      }
    }
  }
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  auto it = token_to_id_.find(token);
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string& Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary of " +
                            std::to_string(vocab_size()) + " (" + spec_.source + ")");
  }
  return spec_.vocab[id];
}

bool Tokenizer::IsSpecial(int32_t id) const { return id >= 0 && id < vocab_size() && special_[id]; }

void Tokenizer::CheckModelVocabSize(int64_t model_vocab_size, std::string_view model_source,
                                    bool allow_padding) const {
  if (model_vocab_size == vocab_size()) return;
  if (allow_padding && model_vocab_size > vocab_size()) return;
  throw std::runtime_error("tokenizer " + spec_.source + " has " + std::to_string(vocab_size()) +
                           " tokens but the model " + std::string(model_source) + " has " +
                           std::to_string(model_vocab_size) + " embedding rows");
}

// Initial symbols are the word's characters (unknown ones: byte fallback or unk), then merges.
void Tokenizer::EncodeWord(std::string_view word, std::vector<int32_t>& out) const {
  if (spec_.ignore_merges) {
    if (auto id = TokenToId(word)) {
      out.push_back(*id);
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (size_t pos = 0; pos < word.size();) {
    const unsigned char lead = static_cast<unsigned char>(word[pos]);
    if (lead < 0x80 && ascii_ids_[lead] != kNoToken) {
      symbols.push_back(ascii_ids_[lead]);
      ++pos;
      continue;
    }
    const size_t len = DecodeUtf8(word, pos).length;
    const std::string_view ch = word.substr(pos, len);
    pos += len;
    if (auto id = TokenToId(ch)) {
      symbols.push_back(*id);
    } else if (!byte_ids_.empty()) {
      for (char b : ch) symbols.push_back(byte_ids_[static_cast<unsigned char>(b)]);
    } else if (spec_.unk_id != kNoToken) {
      if (!(spec_.fuse_unk && !symbols.empty() && symbols.back() == spec_.unk_id)) {
        symbols.push_back(spec_.unk_id);
      }
    } else {
      throw std::runtime_error("tokenizer " + spec_.source + ": character '" + std::string(ch) +
                               "' is not in the vocabulary and there is no unk token");
    }
  }
  merges_.Apply(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void Tokenizer::EncodeByteLevel(std::string_view text, WordCache& cache,
                                std::vector<int32_t>& out) const {
  std::string prefixed;
  if (spec_.add_prefix_space && text.front() != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    text = prefixed;
  }
  std::vector<std::string_view> words;
  PreTokenize(spec_.pre_tokenizer, text, words);
  std::string mapped;
  for (std::string_view word : words) {
    auto it = cache.find(word);
    if (it == cache.end()) {
      mapped.clear();
      AppendByteLevel(word, mapped);
      std::vector<int32_t> ids;
      EncodeWord(mapped, ids);
      it = cache.emplace(std::string(word), std::move(ids)).first;
    }
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
}

void Tokenizer::EncodeSentencePiece(std::string_view text, WordCache& cache,
                                    std::vector<int32_t>& out) const {
  std::string normalized;
  normalized.reserve(text.size() + 16);
  if (spec_.add_prefix_space) normalized += kSpaceMarker;
  for (char c : text) {
    if (c == ' ') {
      normalized += kSpaceMarker;
    } else {
      normalized.push_back(c);
    }
  }
  if (!split_before_markers_) {
    EncodeWord(normalized, out);
    return;
  }
  const std::string_view all = normalized;
  size_t start = 0;
  const auto flush = [&](size_t end) {
    if (end == start) return;
    const std::string_view piece = all.substr(start, end - start);
    auto it = cache.find(piece);
    if (it == cache.end()) {
      std::vector<int32_t> ids;
      EncodeWord(piece, ids);
      it = cache.emplace(std::string(piece), std::move(ids)).first;
    }
    out.insert(out.end(), it->second.begin(), it->second.end());
    start = end;
  };
  for (size_t pos = all.find(kSpaceMarker, 1); pos != std::string_view::npos;
       pos = all.find(kSpaceMarker, pos + 1)) {
    if (!all.substr(0, pos).ends_with(kSpaceMarker)) flush(pos);
  }
  flush(all.size());
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_special_tokens && spec_.add_bos) out.push_back(spec_.bos_id);
  std::vector<TextSegment> segments;
  if (options.parse_special) {
    segments = added_.Split(text);
  } else if (!text.empty()) {
    segments.push_back({text, -1});
  }
  WordCache cache;
  for (const TextSegment& s : segments) {
    if (s.token_id != -1) {
      out.push_back(s.token_id);
    } else if (model_) {
      model_->Encode(s.text, out);
    } else if (spec_.kind == TokenizerKind::kByteLevel) {
      EncodeByteLevel(s.text, cache, out);
    } else {
      EncodeSentencePiece(s.text, cache, out);
    }
  }
  if (options.add_special_tokens && spec_.add_eos) out.push_back(spec_.eos_id);
  return out;
}

// HF's decoder chain for Llama 2: Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0).
std::string Tokenizer::DecodeSentencePiece(const std::vector<const std::string*>& tokens) const {
  std::string out, pending;  // pending: bytes of consecutive <0xNN> tokens
  const auto flush = [&] {
    if (pending.empty()) return;
    if (Utf8Lossy(pending) == pending) {
      out += pending;
    } else {
      for (size_t i = 0; i < pending.size(); ++i) AppendUtf8(0xFFFD, out);
    }
    pending.clear();
  };
  for (const std::string* token : tokens) {
    if (int b = ByteTokenValue(*token); b >= 0) {
      pending.push_back(static_cast<char>(b));
      continue;
    }
    flush();
    for (size_t pos = 0; pos < token->size();) {
      if (token->compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
        out.push_back(' ');
        pos += kSpaceMarker.size();
      } else {
        out.push_back((*token)[pos++]);
      }
    }
  }
  flush();
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  if (model_) return DecodeWithModel(ids, skip_special);
  std::vector<const std::string*> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (skip_special && IsSpecial(id)) continue;
    tokens.push_back(&IdToToken(id));
  }
  if (spec_.kind == TokenizerKind::kSentencePiece) return DecodeSentencePiece(tokens);
  std::string bytes;
  for (const std::string* token : tokens) bytes += ByteLevelToBytes(*token);
  return Utf8Lossy(bytes);
}

}  // namespace qlsweep::trainer
