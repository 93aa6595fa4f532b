// libFuzzer harness: training data files (JSONL records, plain text, pre-tokenized id lines).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "trainer/data/documents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "data.jsonl");
  using namespace qlsweep::trainer;
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadJsonlDocuments(path, "alpaca"); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadTokenDocuments(path); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadTextDocuments(path, "%"); });
  return 0;
}
