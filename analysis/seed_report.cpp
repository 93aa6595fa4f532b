// The seed report assembled: its sections in order and a summary with the verdict counts.
#include "analysis/seed_report.h"

#include <map>

#include "analysis/seed_sections.h"

namespace qlsweep::analysis {

std::string SeedPartStem(SeedPart part) {
  switch (part) {
    case SeedPart::kBudget:
      return "seed-budget";
    case SeedPart::kSeqLen:
      return "seed-seq-len";
    case SeedPart::kRank:
      return "seed-rank";
    case SeedPart::kBatch:
      return "seed-batch";
    case SeedPart::kSpeed:
      return "seed-speed";
    case SeedPart::kMemoryQuality:
      return "seed-memory-quality";
    case SeedPart::kQuality:
      return "seed-quality";
    case SeedPart::kClaims:
      return "seed-claims";
    case SeedPart::kFullFt:
      return "seed-full-ft";
  }
  return "seed";
}

std::string SeedPartSweep(SeedPart part, bool quick) {
  return SeedPartStem(part) + (quick ? "-quick" : "");
}

SeedReport BuildSeedReport(const SeedReportInputs& inputs) {
  const SeedContext c(inputs);
  SeedReport report;
  report.sections = {BudgetSection(c), SeqLenSection(c),     RankSection(c),
                     BatchSection(c),  SpeedSection(c),      MemoryQualitySection(c),
                     FullFtSection(c), OtherClaimsSection(c)};
  std::map<SeedVerdict, int> counts;
  for (const auto& s : report.sections) {
    for (const auto& claim : s.claims) ++counts[claim.verdict.verdict];
  }
  report.summary = {
      std::string(inputs.quick ? "--quick: the tiny random model on the CPU, a few steps; "
                                 "the structure and the verdict logic, not the seed's settings"
                               : "the GPU set: Llama-2-7B (random weights of the true shapes) "
                                 "and SmolLM2-135M-Instruct on Debian's fortunes"),
      "trials ran on: " + (inputs.hardware.empty() ? std::string("unknown") : inputs.hardware),
      "claims judged against the " + inputs.profile.name + " profile (" +
          GiBText(static_cast<double>(inputs.profile.memory_bytes)) + ")",
      "verdicts: " + std::to_string(counts[SeedVerdict::kHolds]) + " hold, " +
          std::to_string(counts[SeedVerdict::kDoesNotHold]) + " do not hold, " +
          std::to_string(counts[SeedVerdict::kCannotCheck]) + " cannot be checked here",
      "the seed's numbers: ../shared/REFERENCE.md (\"The seed report\"), kept in "
      "analysis/seed_claims.h; verdict rules: docs/seed-report.md"};
  if (!inputs.command.empty()) report.summary.push_back("made by: " + inputs.command);
  for (const auto& [part, why] : inputs.skipped) {
    report.summary.push_back("not run: " + SeedPartSweep(part, inputs.quick) + " (" + why + ")");
  }
  return report;
}

}  // namespace qlsweep::analysis
