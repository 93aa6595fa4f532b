// UTF-8 decoding and encoding and the character classes (\p{L}, \p{N}, \s) of the pre-tokenizers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qlsweep::trainer {

// One decoded character: its code point and how many bytes it took. An ill-formed sequence
// decodes as U+FFFD with valid == false and length = its maximal ill-formed subpart (at least 1),
// the convention of Unicode's "U+FFFD substitution of maximal subparts" (Rust's from_utf8_lossy).
struct Utf8Char {
  char32_t cp;
  size_t length;
  bool valid;
};

// Decodes the character starting at text[pos]; pos < text.size().
Utf8Char DecodeUtf8(std::string_view text, size_t pos);
// Appends the UTF-8 encoding of cp (cp <= 0x10FFFF) to out.
void AppendUtf8(char32_t cp, std::string& out);
// text with every ill-formed sequence replaced by U+FFFD, as Rust's String::from_utf8_lossy.
std::string Utf8Lossy(std::string_view text);

bool IsLetter(char32_t cp);      // \p{L}
bool IsNumber(char32_t cp);      // \p{N}
bool IsWhitespace(char32_t cp);  // \s: the Unicode White_Space property

}  // namespace qlsweep::trainer
