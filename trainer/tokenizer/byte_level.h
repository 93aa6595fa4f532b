// GPT-2's byte-to-character map: every byte as a printable character, so BPE runs on text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qlsweep::trainer {

// The character byte b stands for (printable bytes map to themselves, the rest to U+0100..).
char32_t ByteToChar(unsigned char b);
// The byte a character stands for, or nothing when it is not one of the 256.
std::optional<unsigned char> CharToByte(char32_t c);

// Appends the byte-level form of bytes (each byte as its character, UTF-8) to out.
void AppendByteLevel(std::string_view bytes, std::string& out);
// The bytes a byte-level token stands for; a token with a character outside the map decodes as
// its own UTF-8 bytes (as HF's ByteLevel decoder does for added tokens).
std::string ByteLevelToBytes(std::string_view token);

}  // namespace qlsweep::trainer
