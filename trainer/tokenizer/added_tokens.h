// Finds added (special) tokens in raw text before normalization and pre-tokenization.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::trainer {

// A token matched as a whole in the input text (HF's added_tokens, GGUF's control and
// user-defined tokens).
struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = true;  // special tokens are dropped by Decode(..., skip_special=true)
};

// A piece of the input: either plain text or one added token.
struct TextSegment {
  std::string_view text;  // the matched content for a token
  int32_t token_id = -1;  // -1 for plain text
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  // Splits text at the added tokens, leftmost first and the longest among those that start at
  // the same place (HF's leftmost-longest matching). Empty text segments are left out.
  std::vector<TextSegment> Split(std::string_view text) const;

 private:
  struct Entry {
    std::string content;
    int32_t id;
  };
  std::array<std::vector<Entry>, 256> by_first_byte_;  // each sorted longest first
  bool empty_ = true;
};

}  // namespace qlsweep::trainer
