// Splits text into words before BPE: the GPT-2 and Llama-3 split regexes as explicit matchers.
#include "trainer/tokenizer/pre_tokenizer.h"

#include <stdexcept>

#include "trainer/tokenizer/unicode.h"

namespace qlsweep::trainer {

namespace {

// The text as code points, with the byte offset of each (offsets has one extra: the end).
struct Codepoints {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;
};

Codepoints Decode(std::string_view text) {
  Codepoints out;
  out.cps.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    out.cps.push_back(c.cp);
    out.offsets.push_back(pos);
    pos += c.length;
  }
  out.offsets.push_back(text.size());
  return out;
}

bool IsOther(char32_t c) { return !IsWhitespace(c) && !IsLetter(c) && !IsNumber(c); }
bool IsNewline(char32_t c) { return c == '\r' || c == '\n'; }
char32_t AsciiLower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Length of 's|'t|'re|'ve|'m|'ll|'d at i (0 if none); case-insensitive for Llama 3.
size_t MatchContraction(const std::vector<char32_t>& c, size_t i, bool fold) {
  const size_t n = c.size();
  if (c[i] != '\'' || i + 1 >= n) return 0;
  const auto at = [&](size_t k) { return fold ? AsciiLower(c[k]) : c[k]; };
  const char32_t c1 = at(i + 1);
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (i + 2 >= n) return 0;
  const char32_t c2 = at(i + 2);
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

template <typename Pred>
size_t RunEnd(const std::vector<char32_t>& c, size_t j, Pred pred) {
  while (j < c.size() && pred(c[j])) ++j;
  return j;
}

// \s+(?!\S)|\s+ at a whitespace character i: a run followed by a non-space gives back its last
// character (which then starts the next word), unless the run is a single character.
size_t MatchTrailingWhitespace(const std::vector<char32_t>& c, size_t i) {
  const size_t end = RunEnd(c, i, IsWhitespace);
  if (end == c.size() || end - i == 1) return end - i;
  return end - 1 - i;
}

size_t MatchGpt2(const std::vector<char32_t>& c, size_t i) {
  const size_t n = c.size();
  if (size_t len = MatchContraction(c, i, /*fold=*/false)) return len;
  const size_t j = c[i] == ' ' && i + 1 < n ? i + 1 : i;  // the optional leading space
  if (IsLetter(c[j])) return RunEnd(c, j, IsLetter) - i;
  if (IsNumber(c[j])) return RunEnd(c, j, IsNumber) - i;
  if (IsOther(c[j])) return RunEnd(c, j, IsOther) - i;
  return MatchTrailingWhitespace(c, i);
}

size_t MatchLlama3(const std::vector<char32_t>& c, size_t i) {
  const size_t n = c.size();
  if (size_t len = MatchContraction(c, i, /*fold=*/true)) return len;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (!IsNewline(c[i]) && !IsLetter(c[i]) && !IsNumber(c[i]) && i + 1 < n && IsLetter(c[i + 1])) {
    return RunEnd(c, i + 1, IsLetter) - i;
  }
  if (IsLetter(c[i])) return RunEnd(c, i, IsLetter) - i;
  // \p{N}{1,3}
  if (IsNumber(c[i])) {
    size_t j = i;
    while (j < n && j - i < 3 && IsNumber(c[j])) ++j;
    return j - i;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  const size_t j = c[i] == ' ' && i + 1 < n ? i + 1 : i;
  if (IsOther(c[j])) return RunEnd(c, RunEnd(c, j, IsOther), IsNewline) - i;
  // \s*[\r\n]+: the whitespace run up to and including its last newline.
  const size_t end = RunEnd(c, i, IsWhitespace);
  for (size_t k = end; k > i; --k) {
    if (IsNewline(c[k - 1])) return k - i;
  }
  return MatchTrailingWhitespace(c, i);
}

void SplitByPattern(SplitPattern pattern, std::string_view text,
                    std::vector<std::string_view>& words) {
  if (text.empty()) return;
  if (pattern == SplitPattern::kNone) {
    words.push_back(text);
    return;
  }
  const Codepoints d = Decode(text);
  for (size_t i = 0; i < d.cps.size();) {
    const size_t len = pattern == SplitPattern::kGpt2 ? MatchGpt2(d.cps, i) : MatchLlama3(d.cps, i);
    words.push_back(text.substr(d.offsets[i], d.offsets[i + len] - d.offsets[i]));
    i += len;
  }
}

}  // namespace

PreTokenizerConfig PreTokenizerFromName(std::string_view name) {
  if (name == "gpt2" || name == "gpt-2") return {false, SplitPattern::kGpt2};
  if (name == "smollm") return {true, SplitPattern::kGpt2};
  if (name == "llama3" || name == "llama-v3" || name == "llama-bpe") {
    return {false, SplitPattern::kLlama3};
  }
  throw std::invalid_argument("unsupported pre-tokenizer '" + std::string(name) +
                              "' (supported: gpt2, gpt-2, smollm, llama3, llama-v3, llama-bpe)");
}

std::string_view SplitPatternRegex(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::kGpt2:
      return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
    case SplitPattern::kLlama3:
      return R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    case SplitPattern::kNone:
      break;
  }
  return "";
}

void PreTokenize(const PreTokenizerConfig& config, std::string_view text,
                 std::vector<std::string_view>& words) {
  if (!config.individual_digits) {
    SplitByPattern(config.pattern, text, words);
    return;
  }
  size_t start = 0;
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    if (IsNumber(c.cp)) {
      SplitByPattern(config.pattern, text.substr(start, pos - start), words);
      words.push_back(text.substr(pos, c.length));
      start = pos + c.length;
    }
    pos += c.length;
  }
  SplitByPattern(config.pattern, text.substr(start), words);
}

}  // namespace qlsweep::trainer
