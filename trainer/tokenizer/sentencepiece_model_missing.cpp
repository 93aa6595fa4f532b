// LoadSentencePieceModel in a build without libsentencepiece: always a clear error.
#include <stdexcept>

#include "trainer/tokenizer/sentencepiece_model.h"

namespace qlsweep::trainer {

std::shared_ptr<const SentencePieceModel> LoadSentencePieceModel(
    const std::filesystem::path& file) {
  throw std::runtime_error(
      file.string() +
      ": cannot read a SentencePiece model: this build has no SentencePiece support "
      "(libsentencepiece was not found at configure time; install libsentencepiece-dev and "
      "re-run CMake, or use the tokenizer.json of the model)");
}

}  // namespace qlsweep::trainer
