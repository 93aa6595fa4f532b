// Opens a tokenizer file by its name, and finds the one in a checkpoint folder.
#include <stdexcept>

#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {

namespace fs = std::filesystem;

Tokenizer Tokenizer::FromFile(const fs::path& file) {
  if (fs::is_directory(file)) {
    if (const auto found = FindTokenizerFile(file)) return FromFile(*found);
    throw std::runtime_error(file.string() +
                             ": a folder without tokenizer.json or tokenizer.model");
  }
  if (file.extension() == ".model") return FromSentencePieceModel(file);
  return FromHfJson(file);
}

std::optional<fs::path> FindTokenizerFile(const fs::path& folder) {
  for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
    if (fs::is_regular_file(folder / name)) return folder / name;
  }
  return std::nullopt;
}

}  // namespace qlsweep::trainer
