// Builds a tokenizer from a GGUF file's tokenizer.ggml.* arrays (llama.cpp's conventions).
#include "trainer/tokenizer/gguf_vocab.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "trainer/tokenizer/tokenizer.h"
#include "trainer/tokenizer/unicode.h"

namespace qlsweep::trainer {

namespace {

// SentencePiece merges by score, as llama.cpp's SPM tokenizer applies them: every split of a
// normal token into two normal tokens is a merge whose priority is the merged token's score
// (higher first); all splits of one token share its rank, so the leftmost pair goes first.
void MergesFromScores(const GgufVocab& v, const std::vector<bool>& normal, TokenizerSpec& spec) {
  std::unordered_map<std::string_view, int32_t> ids;
  for (int32_t id = 0; id < static_cast<int32_t>(v.tokens.size()); ++id) {
    if (normal[id]) ids.try_emplace(v.tokens[id], id);
  }
  std::vector<int32_t> order;  // normal multi-character tokens, highest score first
  for (int32_t id = 0; id < static_cast<int32_t>(v.tokens.size()); ++id) {
    if (normal[id] && DecodeUtf8(v.tokens[id], 0).length < v.tokens[id].size()) {
      order.push_back(id);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return v.scores[a] > v.scores[b]; });
  int32_t rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && v.scores[order[i]] != v.scores[order[i - 1]]) ++rank;
    const std::string& t = v.tokens[order[i]];
    for (size_t split = DecodeUtf8(t, 0).length; split < t.size();
         split += DecodeUtf8(t, split).length) {
      const std::string_view left = std::string_view(t).substr(0, split);
      const std::string_view right = std::string_view(t).substr(split);
      if (ids.contains(left) && ids.contains(right)) {
        spec.merges.emplace_back(left, right);
        spec.merge_ranks.push_back(rank);
      }
    }
  }
}

}  // namespace

Tokenizer Tokenizer::FromVocab(const GgufVocab& v) {
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error(v.source + ": " + what);
  };
  const size_t n = v.tokens.size();
  if (n == 0) fail("tokenizer.ggml.tokens is empty");
  if (!v.token_types.empty() && v.token_types.size() != n) {
    fail("tokenizer.ggml.token_type has " + std::to_string(v.token_types.size()) + " entries for " +
         std::to_string(n) + " tokens");
  }
  if (!v.scores.empty() && v.scores.size() != n) {
    fail("tokenizer.ggml.scores has " + std::to_string(v.scores.size()) + " entries for " +
         std::to_string(n) + " tokens");
  }

  TokenizerSpec spec;
  spec.source = v.source;
  spec.vocab = v.tokens;
  spec.chat_template = v.chat_template;
  std::vector<bool> normal(n, true);
  for (size_t id = 0; id < v.token_types.size(); ++id) {
    const auto type = static_cast<GgufTokenType>(v.token_types[id]);
    normal[id] = type == GgufTokenType::kNormal;
    // Control, user-defined and unknown tokens are matched whole in the text, as HF does with
    // added_tokens; only user-defined ones are not "special".
    if (type == GgufTokenType::kControl || type == GgufTokenType::kUnknown ||
        type == GgufTokenType::kUserDefined) {
      spec.added_tokens.push_back(
          {static_cast<int32_t>(id), v.tokens[id], type != GgufTokenType::kUserDefined});
    }
    if (type == GgufTokenType::kUnknown && spec.unk_id == kNoToken) {
      spec.unk_id = static_cast<int32_t>(id);
    }
  }
  for (const std::string& m : v.merges) {
    const size_t space = m.find(' ');
    if (space == std::string::npos || m.find(' ', space + 1) != std::string::npos) {
      fail("tokenizer.ggml.merges entry '" + m + "' is not \"left right\"");
    }
    spec.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }

  if (v.model == "gpt2") {
    spec.kind = TokenizerKind::kByteLevel;
    spec.pre_tokenizer = PreTokenizerFromName(v.pre.empty() ? "gpt2" : v.pre);
    spec.ignore_merges = spec.pre_tokenizer.pattern == SplitPattern::kLlama3;
    if (spec.merges.empty()) fail("tokenizer.ggml.merges is missing (model gpt2)");
  } else if (v.model == "llama") {
    spec.kind = TokenizerKind::kSentencePiece;
    spec.add_prefix_space = v.add_space_prefix.value_or(true);
    spec.byte_fallback = true;
    spec.fuse_unk = true;
    if (spec.merges.empty()) {
      if (v.scores.empty()) fail("tokenizer.ggml.scores is missing (model llama, no merges)");
      MergesFromScores(v, normal, spec);
    }
  } else {
    fail("unsupported tokenizer.ggml.model '" + v.model + "' (supported: gpt2, llama)");
  }
  if (v.unk_id) spec.unk_id = *v.unk_id;
  spec.bos_id = v.bos_id.value_or(kNoToken);
  spec.eos_id = v.eos_id.value_or(kNoToken);
  spec.add_bos = v.add_bos.value_or(v.model == "llama") && spec.bos_id != kNoToken;
  spec.add_eos = v.add_eos.value_or(false);
  return Tokenizer(std::move(spec));
}

}  // namespace qlsweep::trainer
