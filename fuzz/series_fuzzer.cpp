// libFuzzer harness: HDF5 series files read back (storage::ReadSeries, ReadRootAttribute).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "storage/series_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = qlsweep::fuzz::WriteInput(data, size, "series.h5");
  using namespace qlsweep::storage;
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadSeries(path, "train/loss"); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadSeries(path, "/eval/eval_loss"); });
  qlsweep::fuzz::ExpectCleanRejection([&] { (void)ReadRootAttribute(path, "config"); });
  return 0;
}
