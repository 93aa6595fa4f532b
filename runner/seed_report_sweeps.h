// The seed report's sweeps (data/seed-report/{gpu,quick}/*.yaml, compiled in) and whether this
// build can run the full fine-tuning reference among them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/seed_report.h"
#include "sweeps/load.h"

namespace qlsweep::runner {

// The YAML text of `part`'s sweep in the GPU set or the --quick set; nullopt when not shipped.
std::optional<std::string_view> SeedSweepText(analysis::SeedPart part, bool quick);

// The file it was compiled from, relative to the repository: "data/seed-report/gpu/seed-rank.yaml".
std::string SeedSweepFile(analysis::SeedPart part, bool quick);

// The switch of the full fine-tuning reference (seed-full-ft): on when the trial schema has the
// key train.method with the value full, which the trainer's full fine-tuning brings. Off, the
// reference sweep is skipped and the report says "full fine-tuning trial type missing".
bool FullFineTuningAvailable();

// One part of the report: its sweep, loaded, or why it is not run.
struct LoadedPart {
  analysis::SeedPart part;
  std::optional<sweeps::ExpandedSweep> sweep;
  std::string skipped;
};

// Every part of the GPU set or the --quick set, with gpu_profile=`gpu_profile` (the held trials'
// card) and, for the parts on real weights, model.weights=`model` and data.path=`data` when not
// empty. A part is skipped (with the reason) when its sweep is not shipped, when it is the full
// fine-tuning reference and FullFineTuningAvailable() is off, or when its model or data file is
// not there. Throws sweeps::ConfigError for an invalid sweep or override.
std::vector<LoadedPart> LoadSeedParts(bool quick, const std::string& gpu_profile,
                                      const std::string& model, const std::string& data);

}  // namespace qlsweep::runner
