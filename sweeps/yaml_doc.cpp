// YAML (or JSON) text -> JSON document plus the 1-based line of every node, for file:line errors.
#include "sweeps/yaml_doc.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "sweeps/input_file.h"

namespace qlsweep::sweeps {
namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";
constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";

std::optional<ojson> ParseNull(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return ojson(nullptr);
  return std::nullopt;
}

std::optional<ojson> ParseBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return ojson(true);
  if (s == "false" || s == "False" || s == "FALSE") return ojson(false);
  return std::nullopt;
}

std::optional<ojson> ParseFloat(const std::string& s) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const std::regex kInf(R"([-+]?\.(inf|Inf|INF))");
  static const std::regex kNan(R"(\.(nan|NaN|NAN))");
  if (std::regex_match(s, kInf)) {
    return ojson(s[0] == '-' ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity());
  }
  if (std::regex_match(s, kNan)) return ojson(std::numeric_limits<double>::quiet_NaN());
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  std::string_view digits = s;
  if (digits.front() == '+') digits.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end != digits.data() + digits.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    return ojson(digits.front() == '-' ? -std::numeric_limits<double>::infinity()
                                       : std::numeric_limits<double>::infinity());
  }
  return ojson(value);
}

std::optional<ojson> ParseInt(const std::string& s) {
  static const std::regex kDec(R"([-+]?[0-9]+)");
  static const std::regex kHex(R"(0x[0-9a-fA-F]+)");
  static const std::regex kOct(R"(0o[0-7]+)");
  int base = 10;
  std::string_view digits = s;
  if (std::regex_match(s, kHex)) {
    base = 16;
    digits.remove_prefix(2);
  } else if (std::regex_match(s, kOct)) {
    base = 8;
    digits.remove_prefix(2);
  } else if (!std::regex_match(s, kDec)) {
    return std::nullopt;
  }
  if (digits.front() == '+') digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec == std::errc::result_out_of_range) return ParseFloat(s);  // too big for int64
  if (end != digits.data() + digits.size()) return std::nullopt;
  return ojson(value);
}

// Text from yaml-cpp as UTF-8. yaml-cpp 0.7 writes the escapes "\N" (U+0085) and "\_" (U+00A0)
// as the single bytes 0x85 and 0xA0, not as UTF-8; every other escape it encodes properly. The
// text it was given is checked to be UTF-8 first, so a byte that breaks UTF-8 here came from such
// an escape: it is written as the code point of the same number (U+0080..U+00FF).
std::string FromYamlCpp(std::string_view text) {
  std::string out;
  while (const auto bad = FindInvalidUtf8(text)) {
    out.append(text.substr(0, bad->offset));
    out += static_cast<char>(0xC0 | (bad->byte >> 6));
    out += static_cast<char>(0x80 | (bad->byte & 0x3F));
    text.remove_prefix(bad->offset + 1);
  }
  out.append(text);
  return out;
}

// Copies a JSON value into another nlohmann::basic_json flavour, keeping number kinds.
template <class To, class From>
To Recast(const From& value) {
  switch (value.type()) {
    case From::value_t::object: {
      To out = To::object();
      for (const auto& [key, item] : value.items()) out[key] = Recast<To>(item);
      return out;
    }
    case From::value_t::array: {
      To out = To::array();
      for (const auto& item : value) out.push_back(Recast<To>(item));
      return out;
    }
    case From::value_t::boolean:
      return To(value.template get<bool>());
    case From::value_t::number_integer:
      return To(value.template get<int64_t>());
    case From::value_t::number_unsigned:
      return To(value.template get<uint64_t>());
    case From::value_t::number_float:
      return To(value.template get<double>());
    case From::value_t::string:
      return To(value.template get<std::string>());
    default:
      return To(nullptr);
  }
}

// Thrown by the converter when a document passes one of the limits below.
struct LimitExceeded {
  int line;
  std::string message;
};

class Converter {
 public:
  Converter(std::string file, LineMap& lines, std::vector<ConfigIssue>& issues)
      : file_(std::move(file)), lines_(lines), issues_(issues) {}

  ojson Convert(const YAML::Node& node, const std::string& pointer, const std::string& path,
                int line, int depth = 0) {
    lines_[pointer] = line;
    if (++nodes_ > kMaxYamlNodes) {
      throw LimitExceeded{line, "the document expands to more than " +
                                    std::to_string(kMaxYamlNodes) +
                                    " values (nested aliases?); that is the limit"};
    }
    if (depth > kMaxYamlDepth) {
      throw LimitExceeded{line, "nesting too deep: more than " + std::to_string(kMaxYamlDepth) +
                                    " levels of mappings and lists"};
    }
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return ConvertMap(node, pointer, path, depth);
      case YAML::NodeType::Sequence: {
        ojson out = ojson::array();
        size_t index = 0;
        for (const auto& item : node) {
          out.push_back(Convert(item, ChildPointer(pointer, index),
                                path + "[" + std::to_string(index) + "]", MarkLine(item, line),
                                depth + 1));
          ++index;
        }
        return out;
      }
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path, line);
      default:
        return ojson(nullptr);
    }
  }

 private:
  static int MarkLine(const YAML::Node& node, int fallback) {
    int line = node.Mark().line;
    return line >= 0 ? line + 1 : fallback;
  }

  ojson ConvertMap(const YAML::Node& node, const std::string& pointer, const std::string& path,
                   int depth) {
    ojson out = ojson::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      int key_line = MarkLine(it->first, lines_[pointer]);
      if (!it->first.IsScalar()) {
        Issue(key_line, path, "mapping keys must be plain names");
        continue;
      }
      const std::string key = FromYamlCpp(it->first.Scalar());
      const std::string child = ChildPointer(pointer, key);
      const std::string child_path = path.empty() ? key : path + "." + key;
      if (out.contains(key)) {
        Issue(key_line, child_path,
              "duplicate key (first at line " + std::to_string(lines_[child]) + ")");
        continue;
      }
      out[key] = Convert(it->second, child, child_path, key_line, depth + 1);
    }
    return out;
  }

  ojson ConvertScalar(const YAML::Node& node, const std::string& path, int line) {
    const std::string text = FromYamlCpp(node.Scalar());
    scalar_bytes_ += text.size();
    if (scalar_bytes_ > kMaxYamlScalarBytes) {
      throw LimitExceeded{line, "the document expands to more than " +
                                    std::to_string(kMaxYamlScalarBytes >> 20) +
                                    " MiB of text (nested aliases?); that is the limit"};
    }
    const std::string tag = FromYamlCpp(node.Tag());
    if (tag == "!" || tag == kTagStr) return ojson(text);
    std::optional<ojson> value;
    if (tag == "?") {
      value = ParseNull(text);
      if (!value) value = ParseBool(text);
      if (!value) value = ParseInt(text);
      if (!value) value = ParseFloat(text);
      return value ? *value : ojson(text);
    }
    if (tag == kTagInt) value = ParseInt(text);
    if (tag == kTagFloat) value = ParseFloat(text);
    if (!value && tag == kTagFloat) value = ParseInt(text);
    if (tag == kTagBool) value = ParseBool(text);
    if (tag == kTagNull) value = ParseNull(text);
    if (!value) {
      Issue(line, path, "cannot read '" + text + "' with tag " + tag);
      return ojson(text);
    }
    return *value;
  }

  void Issue(int line, const std::string& key, std::string message) {
    issues_.push_back(ConfigIssue{file_, line, key, std::move(message)});
  }

  std::string file_;
  LineMap& lines_;
  std::vector<ConfigIssue>& issues_;
  size_t nodes_ = 0;         // values converted so far (an alias counts each time it is used)
  size_t scalar_bytes_ = 0;  // bytes of scalar text converted so far
};

// The line where the second document of a stream starts: the `---` that opens it (a document
// start marker after content, or a second marker), else its first node's line.
int SecondDocumentLine(const std::string& text, const YAML::Mark& second) {
  int line = 0;
  bool seen = false;  // content or a first marker
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view row(text.data() + start, end - start);
    ++line;
    if (row.starts_with("---") &&
        (row.size() == 3 || std::isspace(static_cast<unsigned char>(row[3])))) {
      if (seen) return line;
      seen = true;
    } else if (row.find_first_not_of(" \t\r") != std::string_view::npos && row[0] != '#' &&
               row[0] != '%') {
      seen = true;
    }
    start = end + 1;
  }
  return second.line >= 0 ? second.line + 1 : 0;
}

// Where the documents of a stream start, without building them (aliases are not expanded).
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// YAML::LoadAll for a file that must hold one document: the first document, and where a second
// one starts (line 0: none). yaml-cpp 0.7's LoadAll never returns on a ',' outside a flow
// collection at the top level (found by fuzz/trial_config: the file ",\n" took all memory): its
// parser then reports an empty document without consuming the ',', again and again. Here the
// documents are first only counted, three at most, and a document starting where the previous
// one did is that syntax error. Throws YAML::Exception.
YAML::Node LoadOneDocument(const std::string& text, YAML::Mark* second) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 3 && parser.HandleNextDocument(starts)) {
    const auto& m = starts.marks;
    if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos) {
      throw YAML::ParserException(m.back(), "unexpected ',' outside a [list] or {mapping}");
    }
  }
  *second = starts.marks.size() >= 2 ? starts.marks[1] : YAML::Mark::null_mark();
  return YAML::Load(text);
}

}  // namespace

std::string ChildPointer(const std::string& parent, std::string_view key) {
  std::string out = parent + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ChildPointer(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

int LineAt(const LineMap& lines, const std::string& pointer) {
  auto it = lines.find(pointer);
  return it == lines.end() ? 0 : it->second;
}

std::optional<ParsedDoc> ParseYamlText(const std::string& text, const std::string& file,
                                       std::vector<ConfigIssue>& issues) {
  if (const auto bad = FindInvalidUtf8(text)) {
    issues.push_back(ConfigIssue{file, bad->line, "", bad->ToString()});
    return std::nullopt;
  }
  YAML::Node root;
  YAML::Mark second = YAML::Mark::null_mark();
  try {
    root = LoadOneDocument(text, &second);
  } catch (const YAML::DeepRecursion& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    issues.push_back(ConfigIssue{file, line, "",
                                 "nesting too deep: more than " + std::to_string(kMaxYamlDepth) +
                                     " levels of mappings and lists"});
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    issues.push_back(ConfigIssue{file, line, "", "YAML syntax error: " + e.msg});
    return std::nullopt;
  }
  if (second.line >= 0) {
    issues.push_back(
        ConfigIssue{file, SecondDocumentLine(text, second), "",
                    "a second YAML document starts here (after `---`); a file holds exactly one"});
    return std::nullopt;
  }
  ParsedDoc doc;
  Converter converter(file, doc.lines, issues);
  const int line = root.Mark().line >= 0 ? root.Mark().line + 1 : 0;
  try {
    doc.json = converter.Convert(root, "", "", line);
  } catch (const LimitExceeded& e) {
    issues.push_back(ConfigIssue{file, e.line, "", e.message});
    return std::nullopt;
  }
  return doc;
}

std::optional<ParsedDoc> ParseYamlFile(const std::string& path, std::vector<ConfigIssue>& issues) {
  std::string text;
  try {
    text = ReadWholeFile(path);
  } catch (const std::runtime_error& e) {
    std::string message = e.what();  // "<path>: <problem>"
    if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
    issues.push_back(ConfigIssue{path, 0, "", message});
    return std::nullopt;
  }
  return ParseYamlText(text, path, issues);
}

nlohmann::json ToSorted(const nlohmann::ordered_json& value) {
  return Recast<nlohmann::json>(value);
}

nlohmann::ordered_json ToOrdered(const nlohmann::json& value) {
  return Recast<nlohmann::ordered_json>(value);
}

}  // namespace qlsweep::sweeps
