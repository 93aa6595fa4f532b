// Finds added (special) tokens in raw text before normalization and pre-tokenization.
#include "trainer/tokenizer/added_tokens.h"

#include <algorithm>

namespace qlsweep::trainer {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    by_first_byte_[static_cast<unsigned char>(t.content[0])].push_back({t.content, t.id});
    empty_ = false;
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
      return a.content.size() > b.content.size();
    });
  }
}

std::vector<TextSegment> AddedTokenMatcher::Split(std::string_view text) const {
  std::vector<TextSegment> out;
  if (empty_) {
    if (!text.empty()) out.push_back({text, -1});
    return out;
  }
  size_t start = 0;
  for (size_t pos = 0; pos < text.size();) {
    const Entry* hit = nullptr;
    for (const Entry& e : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      if (text.compare(pos, e.content.size(), e.content) == 0) {
        hit = &e;
        break;
      }
    }
    if (hit == nullptr) {
      ++pos;
      continue;
    }
    if (pos > start) out.push_back({text.substr(start, pos - start), -1});
    out.push_back({text.substr(pos, hit->content.size()), hit->id});
    pos += hit->content.size();
    start = pos;
  }
  if (start < text.size()) out.push_back({text.substr(start), -1});
  return out;
}

}  // namespace qlsweep::trainer
