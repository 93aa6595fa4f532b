// libFuzzer harness: SentencePiece tokenizer.model files (protobuf, through libsentencepiece).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "trainer/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "tokenizer.model");
  qlsweep::fuzz::ExpectCleanRejection([&] {
    const auto tokenizer = qlsweep::trainer::Tokenizer::FromSentencePieceModel(path);
    const auto ids = tokenizer.Encode("Hello world! <s> </s> \xc3\xa9t\xc3\xa9 123 \xff",
                                      {.add_special_tokens = true});
    (void)tokenizer.Decode(ids);
    (void)tokenizer.Decode(ids, /*skip_special=*/true);
  });
  return 0;
}
