// libFuzzer harness: safetensors files (8-byte length, JSON header, data), ReadSafetensorsHeader.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "trainer/io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "model.safetensors");
  qlsweep::fuzz::ExpectCleanRejection([&] {
    const auto header = qlsweep::trainer::ReadSafetensorsHeader(path);
    // What the torch reader relies on: ranges inside the file and matching the shape.
    for (const auto& [name, e] : header.entries) {
      uint64_t count = 1;
      for (const int64_t d : e.shape) count *= static_cast<uint64_t>(d);
      const auto bytes = static_cast<uint64_t>(qlsweep::trainer::SafetensorsDtypeBytes(e.dtype));
      if (e.begin > e.end || e.end > size || e.end - e.begin != count * bytes) __builtin_trap();
    }
  });
  return 0;
}
