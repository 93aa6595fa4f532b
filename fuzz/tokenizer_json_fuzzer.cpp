// libFuzzer harness: HF tokenizer.json files (Tokenizer::FromHfJson), then encoding and decoding.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "trainer/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "tokenizer.json");
  qlsweep::fuzz::ExpectCleanRejection([&] {
    const auto tokenizer = qlsweep::trainer::Tokenizer::FromHfJson(path);
    const auto ids = tokenizer.Encode("Hello world! <|im_start|>user\n \xc3\xa9t\xc3\xa9 123 \xff",
                                      {.add_special_tokens = true});
    (void)tokenizer.Decode(ids);
    (void)tokenizer.Decode(ids, /*skip_special=*/true);
  });
  return 0;
}
