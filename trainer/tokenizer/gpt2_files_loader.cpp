// Reads GPT-2's original vocabulary files (encoder.json + vocab.bpe) into a TokenizerSpec.
#include <fstream>
#include <stdexcept>
#include <string>

#include "trainer/tokenizer/json_file.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {

Tokenizer Tokenizer::FromGpt2Files(const std::filesystem::path& encoder_json,
                                   const std::filesystem::path& vocab_bpe) {
  TokenizerSpec spec;
  spec.source = encoder_json.string() + " + " + vocab_bpe.string();
  spec.kind = TokenizerKind::kByteLevel;
  spec.pre_tokenizer = {false, SplitPattern::kGpt2};

  const nlohmann::json encoder = ReadJsonFile(encoder_json);
  if (!encoder.is_object() || encoder.empty()) {
    throw std::runtime_error(encoder_json.string() + ": not a non-empty {token: id} object");
  }
  spec.vocab.assign(encoder.size(), std::string());
  std::vector<bool> filled(encoder.size(), false);
  for (auto it = encoder.begin(); it != encoder.end(); ++it) {
    const int64_t id = RequireInt(it.value(), "'" + it.key() + "'", encoder_json, 0,
                                  static_cast<int64_t>(encoder.size()) - 1);
    if (filled[id]) {
      throw std::runtime_error(encoder_json.string() + ": id " + std::to_string(id) + " of '" +
                               it.key() + "' is repeated or outside 0.." +
                               std::to_string(encoder.size() - 1));
    }
    spec.vocab[id] = it.key();
    filled[id] = true;
  }

  std::ifstream in(vocab_bpe, std::ios::binary);
  if (!in) throw std::runtime_error(vocab_bpe.string() + ": cannot open");
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("#version")) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
      throw std::runtime_error(vocab_bpe.string() + ":" + std::to_string(line_no) +
                               ": expected \"left right\", got '" + line + "'");
    }
    spec.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }

  constexpr std::string_view kEndOfText = "<|endoftext|>";
  if (auto it = encoder.find(kEndOfText); it != encoder.end()) {
    const auto id = static_cast<int32_t>(it.value().get<int64_t>());  // checked above
    spec.added_tokens.push_back({id, std::string(kEndOfText), true});
    spec.bos_id = spec.eos_id = id;
  }
  return Tokenizer(std::move(spec));
}

}  // namespace qlsweep::trainer
