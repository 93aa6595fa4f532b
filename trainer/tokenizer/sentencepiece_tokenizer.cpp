// The Tokenizer over a SentencePiece tokenizer.model: its spec, and decoding with HF's handling
// of special tokens.
#include <utility>

#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 '▁'

}  // namespace

Tokenizer Tokenizer::FromSentencePieceModel(const std::filesystem::path& model_file) {
  std::shared_ptr<const SentencePieceModel> model = LoadSentencePieceModel(model_file);
  const SentencePieceVocab& v = model->vocab();
  TokenizerSpec spec;
  spec.source = model_file.string();
  spec.kind = TokenizerKind::kSentencePieceModel;
  spec.vocab = v.pieces;
  for (size_t id = 0; id < v.pieces.size(); ++id) {
    if (v.types[id] == SentencePieceType::kControl || v.types[id] == SentencePieceType::kUnknown) {
      spec.added_tokens.push_back({static_cast<int32_t>(id), v.pieces[id], /*special=*/true});
    }
  }
  spec.unk_id = v.unk_id < 0 ? kNoToken : v.unk_id;
  spec.bos_id = v.bos_id < 0 ? kNoToken : v.bos_id;
  spec.eos_id = v.eos_id < 0 ? kNoToken : v.eos_id;
  spec.add_bos = spec.bos_id != kNoToken;  // as Llama's tokenizer_config and llama.cpp do
  spec.add_prefix_space = v.add_dummy_prefix;
  spec.byte_fallback = v.byte_fallback;
  return Tokenizer(std::move(spec), std::move(model));
}

// Runs of ordinary ids are decoded by libsentencepiece; special tokens are their text (or left
// out), as in HF's decode, where the dummy prefix's space is removed only at the very start.
std::string Tokenizer::DecodeWithModel(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  std::vector<int32_t> run;
  const auto flush = [&] {
    if (run.empty()) return;
    // libsentencepiece drops the space of a run's leading "▁" as the dummy prefix's.
    if (!out.empty() && spec_.add_prefix_space &&
        IdToToken(run.front()).starts_with(kSpaceMarker)) {
      out.push_back(' ');
    }
    out += model_->Decode(run);
    run.clear();
  };
  for (int32_t id : ids) {
    const std::string& token = IdToToken(id);  // throws for ids outside the vocabulary
    if (!IsSpecial(id)) {
      run.push_back(id);
    } else if (!skip_special) {
      flush();
      out += token;
    }
  }
  flush();
  return out;
}

}  // namespace qlsweep::trainer
