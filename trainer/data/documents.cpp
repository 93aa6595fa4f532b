// Readers of the three data file formats into Documents, with file:line errors.
#include "trainer/data/documents.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "trainer/data/prompt_template.h"

namespace qlsweep::trainer {
namespace {

[[noreturn]] void FailAt(const std::string& path, int64_t line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

// All lines of the file, without line terminators ("\n" or "\r\n").
std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open data file");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t\r\f\v") == std::string::npos; }

// The string field `key` of `obj`, "" if absent; throws for a non-string value.
std::string StringField(const nlohmann::json& obj, const char* key, const std::string& path,
                        int64_t line) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string()) FailAt(path, line, std::string("field '") + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

std::vector<Document> ReadJsonlDocuments(const std::string& path,
                                         const std::string& template_name) {
  FormatPrompt(template_name, "", "");  // fail early on an unknown template
  const auto lines = ReadLines(path);
  std::vector<Document> docs;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto line_no = static_cast<int64_t>(i + 1);
    if (IsBlank(lines[i])) continue;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range: number overflow
      FailAt(path, line_no, std::string("invalid JSON: ") + e.what());
    }
    if (!obj.is_object()) FailAt(path, line_no, "expected a JSON object");
    Document d;
    d.line = line_no;
    if (obj.contains("instruction")) {
      if (!obj.contains("output")) FailAt(path, line_no, "'instruction' without 'output'");
      d.prompt = FormatPrompt(template_name, StringField(obj, "instruction", path, line_no),
                              StringField(obj, "input", path, line_no));
      d.response = StringField(obj, "output", path, line_no);
    } else if (obj.contains("prompt")) {
      if (!obj.contains("response")) FailAt(path, line_no, "'prompt' without 'response'");
      d.prompt = FormatPrompt(template_name, StringField(obj, "prompt", path, line_no), "");
      d.response = StringField(obj, "response", path, line_no);
    } else if (obj.contains("text")) {
      d.response = StringField(obj, "text", path, line_no);
    } else {
      FailAt(path, line_no, "expected fields instruction/input/output, prompt/response or text");
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

std::vector<Document> ReadTextDocuments(const std::string& path, const std::string& separator) {
  const auto lines = ReadLines(path);
  std::vector<Document> docs;
  std::vector<const std::string*> current;
  int64_t start = 0;
  auto flush = [&] {
    while (!current.empty() && IsBlank(*current.back())) current.pop_back();
    size_t first = 0;
    while (first < current.size() && IsBlank(*current[first])) ++first;
    if (first < current.size()) {
      Document d;
      d.line = start + static_cast<int64_t>(first);
      for (size_t j = first; j < current.size(); ++j) {
        d.response += *current[j];
        if (j + 1 < current.size()) d.response += "\n";
      }
      docs.push_back(std::move(d));
    }
    current.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool boundary = separator.empty() ? IsBlank(lines[i]) : lines[i] == separator;
    if (boundary) {
      flush();
      continue;
    }
    if (current.empty()) start = static_cast<int64_t>(i + 1);
    current.push_back(&lines[i]);
  }
  flush();
  return docs;
}

std::vector<Document> ReadTokenDocuments(const std::string& path) {
  const auto lines = ReadLines(path);
  std::vector<Document> docs;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto line_no = static_cast<int64_t>(i + 1);
    if (IsBlank(lines[i])) continue;
    nlohmann::json arr;
    try {
      arr = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range: number overflow
      FailAt(path, line_no, std::string("invalid JSON: ") + e.what());
    }
    if (!arr.is_array() || arr.empty()) {
      FailAt(path, line_no, "expected a non-empty JSON array of token ids");
    }
    Document d;
    d.line = line_no;
    d.pretokenized = true;
    for (const auto& v : arr) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        FailAt(path, line_no, "token ids must be non-negative integers, got " + v.dump());
      }
      d.ids.push_back(v.get<int64_t>());
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

}  // namespace qlsweep::trainer
