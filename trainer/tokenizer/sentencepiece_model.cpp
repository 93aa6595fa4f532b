// A SentencePiece model (tokenizer.model) run by libsentencepiece (built with it).
#include "trainer/tokenizer/sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include <stdexcept>
#include <system_error>

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 '▁'

[[noreturn]] void Fail(const fs::path& file, const std::string& what) {
  throw std::runtime_error(file.string() + ": " + what);
}

SentencePieceType TypeOf(const sentencepiece::SentencePieceProcessor& sp, int id) {
  if (sp.IsUnknown(id)) return SentencePieceType::kUnknown;
  if (sp.IsControl(id)) return SentencePieceType::kControl;
  if (sp.IsByte(id)) return SentencePieceType::kByte;
  if (sp.IsUnused(id)) return SentencePieceType::kUnused;
  return SentencePieceType::kNormal;
}

class LibSentencePieceModel final : public SentencePieceModel {
 public:
  explicit LibSentencePieceModel(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) Fail(file, "no such SentencePiece model file");
    if (const auto status = processor_.Load(file.string()); !status.ok()) {
      Fail(file, "not a valid SentencePiece model (tokenizer.model): " + status.ToString());
    }
    const int n = processor_.GetPieceSize();
    vocab_.pieces.reserve(n);
    vocab_.types.reserve(n);
    int byte_pieces = 0;
    for (int id = 0; id < n; ++id) {
      vocab_.pieces.push_back(processor_.IdToPiece(id));
      vocab_.types.push_back(TypeOf(processor_, id));
      byte_pieces += vocab_.types.back() == SentencePieceType::kByte;
    }
    vocab_.unk_id = processor_.unk_id();
    vocab_.bos_id = processor_.bos_id();
    vocab_.eos_id = processor_.eos_id();
    vocab_.pad_id = processor_.pad_id();
    vocab_.byte_fallback = byte_pieces == 256;
    // The normalizer spec is not exposed; a dummy prefix shows as a leading "▁" on a letter.
    std::vector<std::string> pieces;
    if (processor_.Encode("a", &pieces).ok() && !pieces.empty()) {
      vocab_.add_dummy_prefix = pieces.front().starts_with(kSpaceMarker);
    }
  }

  const SentencePieceVocab& vocab() const override { return vocab_; }

  void Encode(std::string_view text, std::vector<int32_t>& out) const override {
    std::vector<int> ids;
    if (const auto status = processor_.Encode(text, &ids); !status.ok()) {
      throw std::runtime_error("SentencePiece encode failed: " + status.ToString());
    }
    out.insert(out.end(), ids.begin(), ids.end());
  }

  std::string Decode(std::span<const int32_t> ids) const override {
    std::string text;
    if (const auto status = processor_.Decode(std::vector<int>(ids.begin(), ids.end()), &text);
        !status.ok()) {
      throw std::runtime_error("SentencePiece decode failed: " + status.ToString());
    }
    return text;
  }

 private:
  sentencepiece::SentencePieceProcessor processor_;
  SentencePieceVocab vocab_;
};

}  // namespace

std::shared_ptr<const SentencePieceModel> LoadSentencePieceModel(const fs::path& file) {
  return std::make_shared<const LibSentencePieceModel>(file);
}

}  // namespace qlsweep::trainer
