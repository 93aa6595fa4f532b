// Loads the HF reference dumps of tests/assets/tokenizer/ and the shared tokenizer files.
#include "tests/trainer/tokenizer/reference_cases.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "trainer/tokenizer/json_file.h"

namespace qlsweep::trainer::testing {

namespace fs = std::filesystem;

fs::path AssetDir() { return fs::path(QLSWEEP_SOURCE_DIR) / "tests" / "assets" / "tokenizer"; }

fs::path SharedTokenizerDir() {
  const fs::path dir =
      fs::weakly_canonical(fs::path(QLSWEEP_SOURCE_DIR) / ".." / "shared" / "data" / "tokenizers");
  if (!fs::is_directory(dir)) {
    ADD_FAILURE() << "the shared tokenizer files are expected at " << dir
                  << " (llama2/tokenizer.json, gpt2/encoder.json + vocab.bpe; see "
                     "../shared/data/README.md)";
    return {};
  }
  return dir;
}

Reference LoadReference(const std::string& name) {
  const nlohmann::json j = ReadJsonFile(AssetDir() / (name + "_reference.json"));
  Reference r;
  r.tokenizer = j.at("tokenizer").get<std::string>();
  r.vocab_size = j.at("vocab_size").get<int64_t>();
  for (const auto& c : j.at("cases")) {
    r.cases.push_back({c.at("text"), c.at("ids"), c.at("ids_with_special"), c.at("decoded"),
                       c.at("decoded_skip_special")});
  }
  return r;
}

GgufVocab AsGgufVocab(const Tokenizer& tokenizer, const std::string& model, const std::string& pre,
                      bool with_merges) {
  const TokenizerSpec& spec = tokenizer.spec();
  GgufVocab v;
  v.source = "gguf-like(" + spec.source + ")";
  v.model = model;
  v.pre = pre;
  v.tokens = spec.vocab;
  v.token_types.assign(spec.vocab.size(), static_cast<int32_t>(GgufTokenType::kNormal));
  v.scores.resize(spec.vocab.size());
  for (size_t id = 0; id < spec.vocab.size(); ++id) {
    const std::string& t = spec.vocab[id];
    v.scores[id] = -1e9f;
    if (t.size() == 6 && t.starts_with("<0x") && t.ends_with(">")) {
      v.token_types[id] = static_cast<int32_t>(GgufTokenType::kByte);
      v.scores[id] = 0;
    }
  }
  for (const AddedToken& t : spec.added_tokens) {
    v.token_types[t.id] = static_cast<int32_t>(t.id == spec.unk_id ? GgufTokenType::kUnknown
                                                                   : GgufTokenType::kControl);
    v.scores[t.id] = 0;
  }
  for (size_t rank = spec.merges.size(); rank-- > 0;) {
    const auto& [l, r] = spec.merges[rank];
    if (auto id = tokenizer.TokenToId(l + r)) v.scores[*id] = -static_cast<float>(rank);
  }
  if (with_merges) {
    for (const auto& [l, r] : spec.merges) v.merges.push_back(l + " " + r);
  }
  if (spec.bos_id != kNoToken) v.bos_id = spec.bos_id;
  if (spec.eos_id != kNoToken) v.eos_id = spec.eos_id;
  v.add_bos = spec.add_bos;
  return v;
}

void ExpectParity(const Tokenizer& tokenizer, const Reference& reference, bool check_decode,
                  bool check_special_ids) {
  ASSERT_FALSE(reference.cases.empty());
  EXPECT_EQ(tokenizer.vocab_size(), reference.vocab_size);
  for (const ReferenceCase& c : reference.cases) {
    SCOPED_TRACE(::testing::Message() << reference.tokenizer << ", text \"" << c.text << "\"");
    const std::vector<int32_t> ids = tokenizer.Encode(c.text);
    EXPECT_EQ(ids, c.ids);
    if (check_special_ids) {
      EXPECT_EQ(tokenizer.Encode(c.text, {.add_special_tokens = true}), c.ids_with_special);
    }
    if (check_decode) {
      EXPECT_EQ(tokenizer.Decode(c.ids), c.decoded);
      EXPECT_EQ(tokenizer.Decode(c.ids, /*skip_special=*/true), c.decoded_skip_special);
    }
    // With added tokens read as plain text, decoding gives the text back exactly.
    const std::vector<int32_t> plain = tokenizer.Encode(c.text, {.parse_special = false});
    EXPECT_EQ(tokenizer.Decode(plain), c.text);
  }
}

}  // namespace qlsweep::trainer::testing
