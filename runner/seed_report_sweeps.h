// The seed report's sweeps (data/seed-report/{gpu,quick}/*.yaml, compiled in) and whether this
// build can run the full fine-tuning reference among them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analysis/seed_report.h"

namespace qlsweep::runner {

// The YAML text of `part`'s sweep in the GPU set or the --quick set; nullopt when not shipped.
std::optional<std::string_view> SeedSweepText(analysis::SeedPart part, bool quick);

// The file it was compiled from, relative to the repository: "data/seed-report/gpu/seed-rank.yaml".
std::string SeedSweepFile(analysis::SeedPart part, bool quick);

// The switch of the full fine-tuning reference (seed-full-ft): on when the trial schema has the
// key train.method with the value full, which the trainer's full fine-tuning brings. Off, the
// reference sweep is skipped and the report says "full fine-tuning trial type missing".
bool FullFineTuningAvailable();

}  // namespace qlsweep::runner
