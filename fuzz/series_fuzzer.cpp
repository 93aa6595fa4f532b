// libFuzzer harness: HDF5 series files read back (storage::ReadSeries, ReadRootAttribute).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include <sanitizer/common_interface_defs.h>

#include "fuzz/fuzz_input.h"
#include "storage/child_call.h"
#include "storage/series_file.h"

// libhdf5 asks malloc for sizes read from a damaged file (0xffffffffffffffb0 in H5C_protect).
// glibc's malloc returns null and libhdf5 reports an allocation error, which qlsweep reports as a
// damaged file; ASan would abort there instead. C++ allocations (operator new) stay checked.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Mutated files often make libhdf5 loop on a variable-length attribute (storage/child_call.h
  // ends those reads); 200 ms instead of the product's 10 s keeps the fuzzer going.
  qlsweep::storage::SetVariableStringDeadline(std::chrono::milliseconds(200));
  // libhdf5 also makes wild memcpys on some damaged heaps (ASan: memcpy-param-overlap in
  // H5HG_read). They happen in the reader's child, which the product reports as an error; there
  // libFuzzer's death callback, inherited through fork, must not record the input as a crash.
  qlsweep::storage::SetChildStartHook([] { __sanitizer_set_death_callback(nullptr); });
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
