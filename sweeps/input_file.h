// Files and folders named by users (sweep and trial files, checkpoints, data, tokenizers): why a
// path cannot be read, reading with a size limit, UTF-8 and JSON checks that name file and line.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qlsweep::sweeps {

// What is wrong with `path` as a file to read: "" when it is a readable regular file, else "no
// such file", "is a directory, not a file", "is not a regular file (a device, FIFO or socket)",
// "cannot be read: Permission denied", ...
std::string FileProblem(const std::string& path);

// The same for a folder: "" when `path` is a readable directory, else "no such folder", "is a
// file, not a folder", ...
std::string FolderProblem(const std::string& path);

// The largest sweep, trial or JSON config file read whole (16 MiB).
inline constexpr uint64_t kMaxTextFileBytes = 16ull << 20;

// Reads the whole of `path`; throws std::runtime_error "<path>: <problem>" (FileProblem, a read
// error, or a file larger than `max_bytes`).
std::string ReadWholeFile(const std::string& path, uint64_t max_bytes = kMaxTextFileBytes);

// Where text stops being valid UTF-8 (overlong forms, surrogates and code points past U+10FFFF
// are invalid too): the byte offset, its 1-based line and column (in bytes), and the byte.
struct Utf8Problem {
  size_t offset = 0;
  int line = 0;
  int column = 0;
  unsigned char byte = 0;
  // "invalid UTF-8 (byte 0xff at line 3, column 7)"
  std::string ToString() const;
};
std::optional<Utf8Problem> FindInvalidUtf8(std::string_view text);

// `text` with every byte that is not part of valid UTF-8 written as \xNN, so that a message
// quoting a file's bytes (a GGUF string, a file name) can go into a JSON event.
std::string Utf8Safe(std::string_view text);

// 1-based line and column of byte `offset` of `text`.
std::pair<int, int> LineAndColumn(std::string_view text, size_t offset);

// Parses JSON text read from `path`; throws std::runtime_error naming the file, line and column
// ("<path>:3:7: invalid JSON: ...", or invalid UTF-8) instead of nlohmann's raw parse_error.
// Nesting deeper than kMaxJsonDepth levels is refused too.
inline constexpr int kMaxJsonDepth = 512;
nlohmann::json ParseJsonText(const std::string& path, std::string_view text);

// ReadWholeFile then ParseJsonText.
nlohmann::json ReadJsonFile(const std::string& path, uint64_t max_bytes = kMaxTextFileBytes);

}  // namespace qlsweep::sweeps
