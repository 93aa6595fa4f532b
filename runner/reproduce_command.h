// `qlsweep reproduce seed-report`: runs the seed report's sweeps through the coordinator (resuming
// like any sweep) and writes the report with a verdict per claim (docs/seed-report.md).
#pragma once

#include <string>

#include "runner/commands.h"

namespace qlsweep::runner {

struct ReproduceArgs {
  std::string what;                                // "seed-report", the only report so far
  std::string gpu_profile = "rtx4050-laptop-6gb";  // the card the claims are judged against
  std::string out_dir;        // default: <db dir>/seed-report/ (--quick: seed-report-quick/)
  bool quick = false;         // the tiny model on the CPU: structure and verdict logic
  std::string model;          // replaces the SmolLM2 GGUF path of the quality sweeps
  std::string data;           // replaces the fortunes JSONL path
  std::string gpus;           // as `run --gpus`
  double timeout_s = 0;       // per trial; 0 = none
  bool retry_failed = false;  // as `run --retry-failed`
  bool quiet = false;         // no progress lines
  std::string gnuplot = "gnuplot";
};

// Exit 0 when the report was written (plots that could not be drawn are a warning), 2 for invalid
// input (unknown report or profile, the GPU set without a visible GPU, a bad --db), 75 when
// another run holds the database, 130 when interrupted (the trials recorded so far stay; run the
// same command again to resume).
int ReproduceCommand(const ReproduceArgs& args, const CommonOptions& common);

}  // namespace qlsweep::runner
