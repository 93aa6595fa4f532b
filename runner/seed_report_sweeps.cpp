// Lookup of the compiled-in seed-report sweeps.
#include "runner/seed_report_sweeps.h"

#include <algorithm>
#include <filesystem>

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

std::vector<LoadedPart> LoadSeedParts(bool quick, const std::string& gpu_profile,
                                      const std::string& model, const std::string& data) {
  const auto uses_real_model = [](const sweeps::ExpandedSweep& sweep) {
    return !sweep.trials.empty() && !sweep.trials.front().model.weights.empty();
  };
  std::vector<LoadedPart> parts;
  for (analysis::SeedPart part : analysis::kSeedParts) {
    LoadedPart p{part, std::nullopt, ""};
    const auto text = SeedSweepText(part, quick);
    if (!text) {
      p.skipped = "not shipped in this build";
    } else if (part == analysis::SeedPart::kFullFt && !FullFineTuningAvailable()) {
      p.skipped = "this build's trial schema has no train.method: full";
    } else {
      sweeps::CommandLineOverrides overrides{{"gpu_profile=" + gpu_profile}, false};
      const std::string file = SeedSweepFile(part, quick);
      auto sweep = sweeps::LoadSweepText(std::string(*text), file, overrides);
      if (uses_real_model(sweep) && (!model.empty() || !data.empty())) {
        if (!model.empty()) overrides.args.push_back("model.weights=" + model);
        if (!data.empty()) overrides.args.push_back("data.path=" + data);
        sweep = sweeps::LoadSweepText(std::string(*text), file, overrides);
      }
      if (uses_real_model(sweep)) {
        const auto& t = sweep.trials.front();
        for (const auto& path : {t.model.weights, t.data.path}) {
          if (!std::filesystem::is_regular_file(path)) {
            p.skipped = path +
                        " not found (scripts/setup fetches the model and the text; "
                        "--model / --data name other files)";
          }
        }
      }
      if (p.skipped.empty()) p.sweep = std::move(sweep);
    }
    parts.push_back(std::move(p));
  }
  return parts;
}

}  // namespace qlsweep::runner
