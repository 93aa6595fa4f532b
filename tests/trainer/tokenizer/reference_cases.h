// Loads the HF reference dumps of tests/assets/tokenizer/ and the shared tokenizer files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trainer/tokenizer/gguf_vocab.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer::testing {

struct ReferenceCase {
  std::string text;
  std::vector<int32_t> ids;               // add_special_tokens=False
  std::vector<int32_t> ids_with_special;  // add_special_tokens=True
  std::string decoded;
  std::string decoded_skip_special;
};

struct Reference {
  std::string tokenizer;
  int64_t vocab_size = 0;
  std::vector<ReferenceCase> cases;
};

std::filesystem::path AssetDir();  // tests/assets/tokenizer
// ../shared/data/tokenizers beside the repository; fails the test (ADD_FAILURE) with the
// expected location when it is absent and returns an empty path.
std::filesystem::path SharedTokenizerDir();
Reference LoadReference(const std::string& name);  // <name>_reference.json

// The tokenizer.ggml.* arrays a GGUF converter would write for a loaded tokenizer: tokens by id,
// merges (with_merges), token types (added special tokens as control, <0xNN> as byte) and
// scores in the order of the merges (a token's score is minus the rank of its first merge), as
// SentencePiece's scores order HF's converted merges.
GgufVocab AsGgufVocab(const Tokenizer& tokenizer, const std::string& model, const std::string& pre,
                      bool with_merges);

// Compares every case: ids (both ways), decoded text, and the decode(encode(text)) round trip.
void ExpectParity(const Tokenizer& tokenizer, const Reference& reference, bool check_decode,
                  bool check_special_ids);

}  // namespace qlsweep::trainer::testing
