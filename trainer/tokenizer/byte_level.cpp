// GPT-2's byte-to-character map: every byte as a printable character, so BPE runs on text.
#include "trainer/tokenizer/byte_level.h"

#include <array>

#include "trainer/tokenizer/unicode.h"

namespace qlsweep::trainer {

namespace {

struct ByteMap {
  std::array<char32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8;
  std::array<int, 512> from_char;  // -1 where a character stands for no byte
};

// bytes_to_unicode() of GPT-2's encoder.py: '!'..'~', '¡'..'¬', '®'..'ÿ' keep their code point,
// the other bytes get 256, 257, ... in byte order.
const ByteMap& Map() {
  static const ByteMap map = [] {
    ByteMap m;
    m.from_char.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      m.to_char[b] = printable ? static_cast<char32_t>(b) : next++;
      AppendUtf8(m.to_char[b], m.to_utf8[b]);
      m.from_char[m.to_char[b]] = b;
    }
    return m;
  }();
  return map;
}

}  // namespace

char32_t ByteToChar(unsigned char b) { return Map().to_char[b]; }

std::optional<unsigned char> CharToByte(char32_t c) {
  if (c >= Map().from_char.size() || Map().from_char[c] < 0) return std::nullopt;
  return static_cast<unsigned char>(Map().from_char[c]);
}

void AppendByteLevel(std::string_view bytes, std::string& out) {
  for (char b : bytes) out += Map().to_utf8[static_cast<unsigned char>(b)];
}

std::string ByteLevelToBytes(std::string_view token) {
  std::string out;
  for (size_t pos = 0; pos < token.size();) {
    const Utf8Char c = DecodeUtf8(token, pos);
    const std::optional<unsigned char> b = c.valid ? CharToByte(c.cp) : std::nullopt;
    if (!b) return std::string(token);
    out.push_back(static_cast<char>(*b));
    pos += c.length;
  }
  return out;
}

}  // namespace qlsweep::trainer
