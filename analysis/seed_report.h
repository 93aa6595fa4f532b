// `qlsweep reproduce seed-report`: the seed report's sections rebuilt from measured trials, the
// seed's number beside ours and a verdict per claim (docs/seed-report.md).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/memory_estimator.h"
#include "analysis/seed_verdict.h"
#include "analysis/text_table.h"
#include "storage/run_index.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {

// The sweeps the report runs, one per part (data/seed-report/{gpu,quick}/<sweep>.yaml).
enum class SeedPart {
  kBudget,         // seed-budget: Llama-2-7B, the recipe and without its optimisations
  kSeqLen,         // seed-seq-len
  kRank,           // seed-rank (memory)
  kBatch,          // seed-batch
  kSpeed,          // seed-speed: speed settings and the two recipes
  kMemoryQuality,  // seed-memory-quality (memory of the four configurations)
  kQuality,        // seed-quality: SmolLM2, rank and the four configurations, with seeds
  kClaims,         // seed-claims: SmolLM2, the other claims
  kFullFt,         // seed-full-ft: SmolLM2 full fine-tuning, the quality reference
};
inline constexpr std::array<SeedPart, 9> kSeedParts = {
    SeedPart::kBudget,  SeedPart::kSeqLen, SeedPart::kRank,
    SeedPart::kBatch,   SeedPart::kSpeed,  SeedPart::kMemoryQuality,
    SeedPart::kQuality, SeedPart::kClaims, SeedPart::kFullFt};

// "seed-budget", ..., the sweep file's stem; the quick set's sweeps are named "<stem>-quick".
std::string SeedPartStem(SeedPart part);
std::string SeedPartSweep(SeedPart part, bool quick);

struct SeedReportInputs {
  bool quick = false;
  sweeps::GpuProfile profile;  // the card the claims are judged against
  // The recorded trials of each part's sweep (RunIndex::Trials); a part absent here did not run.
  std::map<SeedPart, std::vector<storage::TrialRow>> trials;
  std::map<SeedPart, std::string> skipped;  // why a part did not run
  // The memory estimator's budget of the seed's recipe and of the unoptimised trial, for the 7B
  // shape (the GPU set's seed-budget trials), whatever ran.
  std::optional<MemoryEstimate> estimate_optimised, estimate_unoptimised;
  std::string hardware;  // what ran the trials, e.g. "NVIDIA H200" or "CPU"
  std::string command;   // the command line that made the report
};

// One claim of the seed and its verdict.
struct SeedClaim {
  std::string claim;
  ClaimVerdict verdict;
};

struct SeedSection {
  std::string title;
  std::vector<std::string> notes;  // paragraphs under the title: what ran, definitions, caveats
  TextTable table;                 // the seed's numbers beside ours, a verdict column
  std::vector<SeedClaim> claims;   // every claim of the section with its reason
  std::vector<std::string> plots;  // plot stems under sweeps/<sweep>/plots/ ("seed-rank/...")
};

struct SeedReport {
  std::vector<std::string> summary;  // lines: what ran, where, the verdict counts
  std::vector<SeedSection> sections;
};

// Builds every section (docs/seed-report.md lists them); parts that did not run, trials that did
// not finish and claims about settings this run did not have (a GPU, Llama-2-7B, real weights)
// give "cannot be checked here" with the reason.
SeedReport BuildSeedReport(const SeedReportInputs& inputs);

}  // namespace qlsweep::analysis
