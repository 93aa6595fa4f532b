// libFuzzer harness: model.safetensors.index.json (the weight_map of a sharded checkpoint).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "trainer/io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "model.safetensors.index.json");
  qlsweep::fuzz::ExpectCleanRejection([&] {
    // A shard name that could leave the folder must never come back.
    for (const auto& [tensor, shard] : qlsweep::trainer::ReadSafetensorsIndex(path)) {
      if (shard.empty() || shard == "." || shard == ".." ||
          shard.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
        __builtin_trap();
      }
    }
  });
  return 0;
}
