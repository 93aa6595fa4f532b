// libFuzzer harness: trial files (LoadTrialText, YAML or JSON) and ResolveTrial on a JSON document.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.h"
#include "sweeps/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qlsweep::fuzz::ExpectCleanRejection(
      [&] { (void)qlsweep::sweeps::LoadTrialText(text, "fuzz-trial.yaml"); });
  // The same bytes as a JSON document handed to ResolveTrial directly (what a trial file written
  // by the coordinator becomes), when they parse as JSON at all.
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) {
    qlsweep::fuzz::ExpectCleanRejection(
        [&] { (void)qlsweep::sweeps::ResolveTrial(doc, "fuzz-trial.json"); });
  }
  return 0;
}
