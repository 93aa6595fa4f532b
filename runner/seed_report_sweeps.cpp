// Lookup of the compiled-in seed-report sweeps.
#include "runner/seed_report_sweeps.h"

#include <algorithm>

#include "runner/seed_report_sweeps_data.h"
#include "sweeps/schema.h"

namespace qlsweep::runner {

std::optional<std::string_view> SeedSweepText(analysis::SeedPart part, bool quick) {
  const std::string stem = analysis::SeedPartStem(part);
  for (const auto& entry : kSeedSweepData) {
    if (entry.set == (quick ? "quick" : "gpu") && entry.name == stem) return entry.text;
  }
  return std::nullopt;
}

std::string SeedSweepFile(analysis::SeedPart part, bool quick) {
  return std::string("data/seed-report/") + (quick ? "quick/" : "gpu/") +
         analysis::SeedPartStem(part) + ".yaml";
}

bool FullFineTuningAvailable() {
  const auto* key = sweeps::FindKey("train.method");
  return key != nullptr &&
         std::find(key->choices.begin(), key->choices.end(), "full") != key->choices.end();
}

}  // namespace qlsweep::runner
