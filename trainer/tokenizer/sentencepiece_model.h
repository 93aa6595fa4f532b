// A SentencePiece model (tokenizer.model, a protobuf ModelProto) as libsentencepiece runs it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::trainer {

// SentencePiece's piece types (ModelProto.SentencePiece.Type) that libsentencepiece reports;
// user-defined pieces are text like normal ones and report kNormal.
enum class SentencePieceType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,  // <s>, </s>, <pad>: never produced from text, decoded as nothing
  kUnused = 5,
  kByte = 6,  // <0xNN> (byte_fallback)
};

// What a tokenizer needs to know of a model's vocabulary.
struct SentencePieceVocab {
  std::vector<std::string> pieces;       // by id
  std::vector<SentencePieceType> types;  // by id
  int32_t unk_id = -1;                   // -1: none
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t pad_id = -1;
  bool add_dummy_prefix = false;  // a "▁" is prepended to the text (normalizer_spec)
  bool byte_fallback = false;     // all 256 <0xNN> byte pieces are there
};

class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;
  virtual const SentencePieceVocab& vocab() const = 0;
  // Appends the ids of text (no BOS/EOS): the model's normalizer, dummy prefix, BPE or unigram
  // segmentation and byte fallback.
  virtual void Encode(std::string_view text, std::vector<int32_t>& out) const = 0;
  // libsentencepiece's text of ids: "▁" becomes a space, the dummy prefix's space at the start is
  // removed, byte pieces become UTF-8 (U+FFFD for each byte that is not), control pieces vanish.
  virtual std::string Decode(std::span<const int32_t> ids) const = 0;
};

// Reads a tokenizer.model file. Throws std::runtime_error naming the file when it is missing or
// is not a SentencePiece model, and when this build has no libsentencepiece
// (QLSWEEP_HAVE_SENTENCEPIECE undefined).
std::shared_ptr<const SentencePieceModel> LoadSentencePieceModel(const std::filesystem::path& file);

}  // namespace qlsweep::trainer
