// libFuzzer harness: sweep files (YAML text -> expanded, validated trials), sweeps::LoadSweepText.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "sweeps/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qlsweep::fuzz::ExpectCleanRejection(
      [&] { (void)qlsweep::sweeps::LoadSweepText(text, "fuzz.yaml"); });
  return 0;
}
