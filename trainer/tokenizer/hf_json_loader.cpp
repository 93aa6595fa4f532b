// Reads HF's tokenizer.json (model BPE) and tokenizer_config.json into a TokenizerSpec.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "trainer/tokenizer/json_file.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Token ids are int32 in the model's embedding; vocabularies stay far below this.
constexpr int64_t kMaxTokenId = (int64_t{1} << 31) - 1;

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 '▁'

[[noreturn]] void Unsupported(const fs::path& file, const std::string& what) {
  throw std::runtime_error(file.string() + ": unsupported " + what);
}

bool IsTrue(const json& j, std::string_view key) {
  return j.contains(key) && j.at(key).is_boolean() && j.at(key).get<bool>();
}

// The list of steps of a component that may be a "Sequence" of them.
std::vector<json> Steps(const json& j, std::string_view list_key) {
  if (j.is_null()) return {};
  if (j.value("type", "") == "Sequence") return j.at(list_key).get<std::vector<json>>();
  return {j};
}

void ReadNormalizer(const json& root, const fs::path& file, TokenizerSpec& spec,
                    bool& replaces_spaces) {
  if (!root.contains("normalizer")) return;
  for (const json& step : Steps(root.at("normalizer"), "normalizers")) {
    const std::string type = step.value("type", "");
    if (type == "Prepend" && step.value("prepend", "") == kSpaceMarker) {
      spec.add_prefix_space = true;
    } else if (type == "Replace" && step.contains("pattern") &&
               step.at("pattern").value("String", "") == " " &&
               step.value("content", "") == kSpaceMarker) {
      replaces_spaces = true;
    } else {
      Unsupported(file, "normalizer step " + step.dump() +
                            " (supported: Prepend \"▁\", Replace \" \" with \"▁\")");
    }
  }
}

// Returns whether the pre-tokenizer is (or contains) ByteLevel.
bool ReadPreTokenizer(const json& root, const fs::path& file, TokenizerSpec& spec) {
  bool byte_level = false;
  if (!root.contains("pre_tokenizer")) return false;
  const std::vector<json> steps = Steps(root.at("pre_tokenizer"), "pretokenizers");
  for (const json& step : steps) {
    const std::string type = step.value("type", "");
    if (type == "ByteLevel") {
      byte_level = true;
      spec.add_prefix_space = IsTrue(step, "add_prefix_space");
      if (step.value("use_regex", true)) {
        if (spec.pre_tokenizer.pattern != SplitPattern::kNone) {
          Unsupported(file, "pre_tokenizer: ByteLevel with use_regex after a Split");
        }
        spec.pre_tokenizer.pattern = SplitPattern::kGpt2;
      }
    } else if (type == "Digits" && IsTrue(step, "individual_digits")) {
      spec.pre_tokenizer.individual_digits = true;
    } else if (type == "Split" && step.value("behavior", "") == "Isolated" &&
               !IsTrue(step, "invert") && step.contains("pattern") &&
               step.at("pattern").contains("Regex")) {
      const std::string regex = step.at("pattern").at("Regex").get<std::string>();
      if (regex == SplitPatternRegex(SplitPattern::kLlama3)) {
        spec.pre_tokenizer.pattern = SplitPattern::kLlama3;
      } else if (regex == SplitPatternRegex(SplitPattern::kGpt2)) {
        spec.pre_tokenizer.pattern = SplitPattern::kGpt2;
      } else {
        Unsupported(file, "Split regex " + regex + " (supported: the GPT-2 and Llama 3 ones)");
      }
    } else {
      Unsupported(file, "pre_tokenizer step " + step.dump() +
                            " (supported: ByteLevel, Digits(individual), Split(GPT-2/Llama 3))");
    }
  }
  if (spec.add_prefix_space && steps.size() > 1) {
    Unsupported(file, "pre_tokenizer: ByteLevel add_prefix_space inside a Sequence");
  }
  return byte_level;
}

// TemplateProcessing's "single" template: special tokens before/after the text are BOS/EOS.
void ReadPostProcessor(const json& root, TokenizerSpec& spec, const fs::path& file) {
  if (!root.contains("post_processor")) return;
  for (const json& step : Steps(root.at("post_processor"), "processors")) {
    const std::string type = step.value("type", "");
    if (type == "ByteLevel") continue;  // only trims offsets
    if (type != "TemplateProcessing") Unsupported(file, "post_processor " + type);
    bool seen_text = false;
    for (const json& item : RequireKey(step, "single", "post_processor", file)) {
      if (item.contains("Sequence")) {
        seen_text = true;
        continue;
      }
      const std::string name = item.at("SpecialToken").at("id").get<std::string>();
      const auto& ids = step.at("special_tokens").at(name).at("ids");
      const auto id = static_cast<int32_t>(RequireInt(
          ids.at(0), "post_processor.special_tokens." + name + ".ids[0]", file, 0, kMaxTokenId));
      if (seen_text) {
        spec.add_eos = true;
        spec.eos_id = id;
      } else {
        spec.add_bos = true;
        spec.bos_id = id;
      }
    }
  }
}

std::string TokenName(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content")) return j.at("content").get<std::string>();
  return "";
}

void ReadTokenizerConfig(const fs::path& file, TokenizerSpec& spec) {
  if (!fs::exists(file)) return;
  const json config = ReadJsonFile(file);
  if (config.contains("chat_template")) {
    const json& t = config.at("chat_template");
    if (t.is_string()) {
      spec.chat_template = t.get<std::string>();
    } else if (t.is_array()) {  // named templates: take "default"
      for (const json& named : t) {
        if (named.value("name", "") == "default") spec.chat_template = named.value("template", "");
      }
    }
  }
  const auto id_of = [&](std::string_view key) -> int32_t {
    if (!config.contains(key)) return kNoToken;
    const std::string name = TokenName(config.at(key));
    auto it = std::find(spec.vocab.begin(), spec.vocab.end(), name);
    return it == spec.vocab.end() ? kNoToken : static_cast<int32_t>(it - spec.vocab.begin());
  };
  if (spec.bos_id == kNoToken) spec.bos_id = id_of("bos_token");
  if (spec.eos_id == kNoToken) spec.eos_id = id_of("eos_token");
}

// The spec that tokenizer.json `file` describes; may throw nlohmann's exceptions (see below).
TokenizerSpec ReadHfSpec(const fs::path& file) {
  const json root = ReadJsonFile(file);
  TokenizerSpec spec;
  spec.source = file.string();
  const json& model = RequireKey(root, "model", "", file);
  const std::string type = model.value("type", "");
  if (type != "BPE") Unsupported(file, "model.type '" + type + "' (supported: BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model.at(key).is_null() && model.at(key) != "") {
      Unsupported(file, std::string("model.") + key);
    }
  }
  if (model.contains("dropout") && !model.at("dropout").is_null() &&
      model.at("dropout").get<double>() != 0.0) {
    Unsupported(file, "model.dropout (BPE dropout)");
  }

  // The id -> token table: the model's vocabulary, then added tokens beyond it.
  const json& vocab = RequireKey(model, "vocab", "model", file);
  if (!vocab.is_object() || vocab.empty()) {
    throw std::runtime_error(file.string() + ": 'model.vocab' is not a non-empty object");
  }
  std::vector<std::pair<int64_t, std::string>> entries;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    entries.emplace_back(
        RequireInt(it.value(), "model.vocab['" + it.key() + "']", file, 0, kMaxTokenId), it.key());
  }
  const json added = root.value("added_tokens", json::array());
  for (const json& t : added) {
    for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
      if (IsTrue(t, flag)) {
        Unsupported(file,
                    std::string("added token flag '") + flag + "' on " + t.value("content", ""));
      }
    }
    AddedToken token{static_cast<int32_t>(RequireInt(RequireKey(t, "id", "added_tokens[]", file),
                                                     "added_tokens[].id", file, 0, kMaxTokenId)),
                     RequireKey(t, "content", "added_tokens[]", file).get<std::string>(),
                     t.value("special", false)};
    entries.emplace_back(token.id, token.content);
    spec.added_tokens.push_back(std::move(token));
  }
  int64_t max_id = -1;
  for (const auto& [id, token] : entries) max_id = std::max(max_id, id);
  // Dense ids are 0..entries-1 at most: a larger id leaves a gap below it (and must not size the
  // id table: 1e9 would allocate gigabytes).
  if (max_id >= static_cast<int64_t>(entries.size())) {
    std::vector<bool> seen(entries.size(), false);
    for (const auto& [id, token] : entries) {
      if (id < static_cast<int64_t>(seen.size())) seen[id] = true;
    }
    throw std::runtime_error(
        file.string() + ": no token has id " +
        std::to_string(std::find(seen.begin(), seen.end(), false) - seen.begin()) +
        " (ids must be dense; the largest is " + std::to_string(max_id) + ")");
  }
  spec.vocab.assign(max_id + 1, std::string());
  std::vector<bool> filled(max_id + 1, false);
  for (const auto& [id, token] : entries) {
    if (id < 0) throw std::runtime_error(file.string() + ": negative id for '" + token + "'");
    if (filled[id] && spec.vocab[id] != token) {
      throw std::runtime_error(file.string() + ": id " + std::to_string(id) + " is both '" +
                               spec.vocab[id] + "' and '" + token + "'");
    }
    spec.vocab[id] = token;
    filled[id] = true;
  }
  if (auto gap = std::find(filled.begin(), filled.end(), false); gap != filled.end()) {
    throw std::runtime_error(file.string() + ": no token has id " +
                             std::to_string(gap - filled.begin()) + " (ids must be dense)");
  }

  for (const json& m : RequireKey(model, "merges", "model", file)) {
    if (m.is_array() && m.size() == 2) {
      spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      continue;
    }
    const std::string s = m.is_string() ? m.get<std::string>() : m.dump();
    const size_t space = s.find(' ');
    if (!m.is_string() || space == std::string::npos || s.find(' ', space + 1) != s.npos) {
      throw std::runtime_error(file.string() + ": model.merges entry '" + s +
                               "' is not \"left right\" or [left, right]");
    }
    spec.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
  }

  spec.byte_fallback = IsTrue(model, "byte_fallback");
  spec.fuse_unk = IsTrue(model, "fuse_unk");
  spec.ignore_merges = IsTrue(model, "ignore_merges");
  if (model.contains("unk_token") && model.at("unk_token").is_string()) {
    const std::string unk = model.at("unk_token").get<std::string>();
    auto it = vocab.find(unk);
    if (it == vocab.end()) {
      throw std::runtime_error(file.string() + ": model.unk_token '" + unk +
                               "' is not in model.vocab");
    }
    spec.unk_id = static_cast<int32_t>(
        RequireInt(it.value(), "model.vocab['" + unk + "']", file, 0, kMaxTokenId));
  }

  bool replaces_spaces = false;
  ReadNormalizer(root, file, spec, replaces_spaces);
  const bool byte_level = ReadPreTokenizer(root, file, spec);
  if (byte_level && !replaces_spaces && !spec.byte_fallback) {
    spec.kind = TokenizerKind::kByteLevel;
  } else if (!byte_level && replaces_spaces) {
    spec.kind = TokenizerKind::kSentencePiece;
  } else {
    Unsupported(file,
                "combination of normalizer and pre_tokenizer (supported: a ByteLevel "
                "pre_tokenizer, or no pre_tokenizer and a Replace \" \" -> \"▁\" normalizer)");
  }
  ReadPostProcessor(root, spec, file);
  const fs::path config = file.parent_path() / "tokenizer_config.json";
  WithFileContext(config, [&] { ReadTokenizerConfig(config, spec); });
  return spec;
}

}  // namespace

Tokenizer Tokenizer::FromHfJson(const fs::path& file) {
  return Tokenizer(WithFileContext(file, [&] { return ReadHfSpec(file); }));
}

}  // namespace qlsweep::trainer
