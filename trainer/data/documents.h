// Documents read from data files: JSONL instruction records, plain text, pre-tokenized id lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qlsweep::trainer {

// One training document. Text documents have `prompt` (not in the loss; empty for plain text) and
// `response` (in the loss); pre-tokenized documents have `ids` (all in the loss) instead.
struct Document {
  std::string prompt;
  std::string response;
  std::vector<int64_t> ids;
  bool pretokenized = false;
  int64_t line = 0;  // 1-based line of the file where the document starts, for messages
};

// JSONL instruction data, one JSON object per non-blank line, with either
// {"instruction", optional "input", "output"} or {"prompt", "response"} (string fields), formatted
// by prompt template `template_name` (see prompt_template.h); or {"text"} for a document entirely
// in the loss. Throws std::runtime_error "path:line: ..." for a broken line or missing fields.
std::vector<Document> ReadJsonlDocuments(const std::string& path, const std::string& template_name);

// Plain text: documents separated by lines equal to `separator` (e.g. "%" for fortune files), or
// by runs of blank lines when `separator` is empty. Leading and trailing blank lines of each
// document are dropped; empty documents are skipped.
std::vector<Document> ReadTextDocuments(const std::string& path, const std::string& separator);

// Pre-tokenized ids: one JSON array of non-negative integers per non-blank line. Throws
// "path:line: ..." for a line that is not such an array.
std::vector<Document> ReadTokenDocuments(const std::string& path);

}  // namespace qlsweep::trainer
