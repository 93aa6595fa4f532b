// libFuzzer harness: HDF5 series files read back (storage::ReadSeries, ReadRootAttribute).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "storage/series_file.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Mutated files often make libhdf5 loop on a variable-length attribute (storage/child_call.h
  // ends those reads); 200 ms instead of the product's 10 s keeps the fuzzer going.
  qlsweep::storage::SetVariableStringDeadline(std::chrono::milliseconds(200));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "series.h5");
  using namespace qlsweep::storage;
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadSeries(path, "train/loss"); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadSeries(path, "/eval/eval_loss"); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadRootAttribute(path, "config"); });
  return 0;
}
