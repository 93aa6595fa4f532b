// libFuzzer harness: GGUF files (header, metadata, tensor table), their tokenizer and small
// tensors.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "trainer/io/gguf_dequant.h"
#include "trainer/io/gguf_file.h"
#include "trainer/tokenizer/tokenizer.h"

namespace {

using qlsweep::trainer::GgufFile;

void ParseGguf(const std::string& path) {
  const GgufFile file(path);
  for (const auto& key : file.keys()) (void)file.Get(key);
  // Dequantize the small tensors: their byte ranges were checked against the file by the parser.
  std::vector<float> values;
  for (const auto& info : file.tensors()) {
    const int64_t n = info.elements();
    if (!qlsweep::trainer::GgmlTypeSupported(info.type) || n <= 0 || n > (1 << 16)) continue;
    values.resize(static_cast<size_t>(n));
    qlsweep::trainer::DequantizeGgml(info.type, file.TensorData(info), n, values.data());
  }
  const auto tokenizer =
      qlsweep::trainer::Tokenizer::FromVocab(qlsweep::trainer::ReadGgufTokenizer(file));
  const auto ids = tokenizer.Encode("Hello world! <|im_start|>user\n \xc3\xa9t\xc3\xa9 123");
  (void)tokenizer.Decode(ids);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "model.gguf");
  qlsweep::fuzz::ExpectCleanRejection([&] { ParseGguf(path); });
  return 0;
}
