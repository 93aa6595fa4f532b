// Files named by users: kind checks, size-limited reads, UTF-8 and JSON errors with file and line.
#include "sweeps/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace qlsweep::sweeps {
namespace {

std::string StatProblem(const std::string& path, const char* missing, struct stat* st) {
  if (path.empty()) return "no path given (empty)";
  if (::stat(path.c_str(), st) == 0) return "";
  if (errno == ENOENT) return missing;
  if (errno == ENOTDIR) return std::string(missing) + " (a folder on the way is a file)";
  return std::string("cannot be read: ") + std::strerror(errno);
}

std::string AccessProblem(const std::string& path) {
  if (::access(path.c_str(), R_OK) == 0) return "";
  return std::string("cannot be read: ") + std::strerror(errno);
}

// Thrown from the JSON parser's callback when nesting passes the limit.
struct TooDeep {
  size_t depth;
};

}  // namespace

std::string FileProblem(const std::string& path) {
  struct stat st {};
  if (std::string problem = StatProblem(path, "no such file", &st); !problem.empty()) {
    return problem;
  }
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (!S_ISREG(st.st_mode)) return "is not a regular file (a device, FIFO or socket)";
  return AccessProblem(path);
}

std::string FolderProblem(const std::string& path) {
  struct stat st {};
  if (std::string problem = StatProblem(path, "no such folder", &st); !problem.empty()) {
    return problem;
  }
  if (!S_ISDIR(st.st_mode)) return "is a file, not a folder";
  return AccessProblem(path);
}

std::string ReadWholeFile(const std::string& path, uint64_t max_bytes) {
  if (std::string problem = FileProblem(path); !problem.empty()) {
    throw std::runtime_error(path + ": " + problem);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(path + ": read failed: " + std::strerror(error));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      throw std::runtime_error(path + ": larger than " + std::to_string(max_bytes >> 20) +
                               " MiB, the limit for a file read whole");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string Utf8Problem::ToString() const {
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02x", byte);
  return std::string("invalid UTF-8 (byte ") + hex + " at line " + std::to_string(line) +
         ", column " + std::to_string(column) + "); the file must be UTF-8 text";
}

std::pair<int, int> LineAndColumn(std::string_view text, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::optional<Utf8Problem> FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t length = 0;
    uint32_t min = 0, code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    }
    bool ok = length != 0 && i + length <= n;
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    ok = ok && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (!ok) {
      const auto [line, column] = LineAndColumn(text, i);
      return Utf8Problem{i, line, column, c};
    }
    i += length;
  }
  return std::nullopt;
}

std::string Utf8Safe(std::string_view text) {
  std::string out;
  while (const auto bad = FindInvalidUtf8(text)) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02x", bad->byte);
    out.append(text.substr(0, bad->offset));
    out += hex;
    text.remove_prefix(bad->offset + 1);
  }
  out.append(text);
  return out;
}

nlohmann::json ParseJsonText(const std::string& path, std::string_view text) {
  if (const auto bad = FindInvalidUtf8(text)) {
    throw std::runtime_error(path + ":" + std::to_string(bad->line) + ": " + bad->ToString());
  }
  const nlohmann::json::parser_callback_t limit_depth =
      [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
        if ((event == nlohmann::json::parse_event_t::object_start ||
             event == nlohmann::json::parse_event_t::array_start) &&
            depth >= kMaxJsonDepth) {
          throw TooDeep{static_cast<size_t>(depth)};
        }
        return true;
      };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const TooDeep&) {
    throw std::runtime_error(path + ": invalid JSON: nesting deeper than " +
                             std::to_string(kMaxJsonDepth) + " levels");
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts the bytes read, the offending one included; its message starts with
    // "[json.exception.parse_error.101] parse error at line L, column C: ".
    const auto [line, column] = LineAndColumn(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string detail = e.what();
    if (const size_t colon = detail.find(": ", detail.find("column")); colon != std::string::npos) {
      detail = detail.substr(colon + 2);
    }
    throw std::runtime_error(path + ":" + std::to_string(line) + ":" + std::to_string(column) +
                             ": invalid JSON: " + detail);
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range.406, a number overflow
    std::string detail = e.what();
    if (detail.starts_with("[json.exception.")) detail.erase(0, detail.find("] ") + 2);
    throw std::runtime_error(path + ": invalid JSON: " + detail);
  }
}

nlohmann::json ReadJsonFile(const std::string& path, uint64_t max_bytes) {
  return ParseJsonText(path, ReadWholeFile(path, max_bytes));
}

}  // namespace qlsweep::sweeps
