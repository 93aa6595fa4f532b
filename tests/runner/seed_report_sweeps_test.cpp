// The seed report's compiled-in sweeps: equal to their files, valid, the quick set a stand-in of
// the GPU set (the same configuration names), and the GPU set's shared configurations one trial
// each.
#include "runner/seed_report_sweeps.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "analysis/repeat_groups.h"
#include "sweeps/load.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;
using analysis::SeedPart;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every part's sweep of the set that this build can load (the full fine-tuning reference only
// when the schema has train.method).
std::map<SeedPart, sweeps::ExpandedSweep> LoadSet(bool quick) {
  std::map<SeedPart, sweeps::ExpandedSweep> set;
  for (SeedPart part : analysis::kSeedParts) {
    if (part == SeedPart::kFullFt && !FullFineTuningAvailable()) continue;
    const auto text = SeedSweepText(part, quick);
    if (!text) continue;
    set.emplace(part, sweeps::LoadSweepText(std::string(*text), SeedSweepFile(part, quick)));
  }
  return set;
}

TEST(SeedReportSweeps, CompiledInTextsAreTheShippedFiles) {
  for (const bool quick : {false, true}) {
    for (SeedPart part : analysis::kSeedParts) {
      const auto text = SeedSweepText(part, quick);
      ASSERT_TRUE(text) << SeedSweepFile(part, quick);
      EXPECT_EQ(*text, ReadFile(fs::path(QLSWEEP_SOURCE_DIR) / SeedSweepFile(part, quick)));
    }
  }
}

TEST(SeedReportSweeps, EveryLoadableSweepIsValidAndNamedForItsPart) {
  for (const bool quick : {false, true}) {
    const auto set = LoadSet(quick);
    EXPECT_EQ(set.size(), analysis::kSeedParts.size() - (FullFineTuningAvailable() ? 0 : 1));
    for (const auto& [part, sweep] : set) {
      EXPECT_EQ(sweep.name, analysis::SeedPartSweep(part, quick));
      EXPECT_FALSE(sweep.trials.empty()) << sweep.name;
    }
  }
}

TEST(SeedReportSweeps, TheQuickSetHasTheGpuSetsConfigurationsOnTheCpu) {
  const auto gpu = LoadSet(false), quick = LoadSet(true);
  for (const auto& [part, sweep] : gpu) {
    std::set<std::string> expected, got;
    for (const auto& t : sweep.trials) {
      const auto name = analysis::ConfigurationName(t.name);  // the quick set has fewer seeds
      if (!name.starts_with("held-")) expected.insert(name);  // held trials need a GPU
    }
    for (const auto& t : quick.at(part).trials) {
      got.insert(analysis::ConfigurationName(t.name));
      EXPECT_EQ(t.hardware.device, "cpu") << t.name;
      EXPECT_EQ(t.hardware.gpu_profile, "") << t.name;
    }
    // The quick set may leave rows out (seq 8192 is beyond every context, full FT only needs
    // the lengths the quick quality sweep uses), never add names the report does not read.
    for (const auto& name : got) EXPECT_TRUE(expected.count(name)) << sweep.name << ": " << name;
    if (part != SeedPart::kFullFt) {
      EXPECT_EQ(got, expected) << sweep.name;
    }
  }
}

TEST(SeedReportSweeps, SharedConfigurationsOfTheGpuSetAreOneTrial) {
  // The GPU time estimate of docs/seed-report.md counts these once: the same base in every 7B
  // file makes the seed's recipe at seq 2048 one trial in four sweeps.
  const auto gpu = LoadSet(false);
  const auto id = [&](SeedPart part, const std::string& name) {
    for (const auto& t : gpu.at(part).trials) {
      if (t.name == name) return t.id;
    }
    return std::string("missing " + name);
  };
  const auto recipe = id(SeedPart::kBudget, "optimised");
  EXPECT_EQ(id(SeedPart::kSeqLen, "seq2048"), recipe);
  EXPECT_EQ(id(SeedPart::kRank, "r16"), recipe);
  EXPECT_EQ(id(SeedPart::kMemoryQuality, "r16-seq2048"), recipe);
  EXPECT_EQ(id(SeedPart::kBatch, "b1x16"), id(SeedPart::kSpeed, "r16-seq2048"));
  EXPECT_EQ(id(SeedPart::kQuality, "r16,train.seed=0"),
            id(SeedPart::kClaims, "baseline,train.seed=0"));
  std::set<std::string> unique;
  size_t seven_b = 0;
  for (const auto& [part, sweep] : gpu) {
    for (const auto& t : sweep.trials) {
      if (t.model.preset == "llama2-7b") ++seven_b, unique.insert(t.id);
    }
  }
  EXPECT_EQ(seven_b, 38u);
  EXPECT_EQ(unique.size(), 32u);
}

TEST(SeedReportSweeps, PartsTakeTheProfileForHeldTrialsAndSkipAMissingModel) {
  const auto parts = LoadSeedParts(false, "rtx3060-12gb", "/nonexistent/smollm2.gguf", "");
  ASSERT_EQ(parts.size(), analysis::kSeedParts.size());
  for (const auto& p : parts) {
    if (p.part == SeedPart::kQuality || p.part == SeedPart::kClaims ||
        p.part == SeedPart::kFullFt) {
      EXPECT_FALSE(p.sweep) << p.skipped;
      if (p.part != SeedPart::kFullFt || FullFineTuningAvailable()) {
        EXPECT_NE(p.skipped.find("/nonexistent/smollm2.gguf not found"), std::string::npos)
            << p.skipped;
      }
      continue;
    }
    ASSERT_TRUE(p.sweep) << p.skipped;
    EXPECT_EQ(p.sweep->gpu_profile, "rtx3060-12gb");
    for (const auto& t : p.sweep->trials) {
      // Held trials take the profile; the others are measured on the whole GPU.
      EXPECT_EQ(t.hardware.gpu_profile, t.name.starts_with("held-") ? "rtx3060-12gb" : "")
          << p.sweep->name << ": " << t.name;
    }
  }
}

}  // namespace
}  // namespace qlsweep::runner
