// e2e tier: `qlsweep reproduce seed-report --quick` on the CPU with the tiny model: it runs every
// sweep of the quick set, writes report.md and index.html with every section, gives each claim
// one of the three verdicts (the seed's 7B and quality claims cannot be checked here, with a
// reason), and a second run resumes: no trial runs twice.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include "tests/e2e/e2e_support.h"

namespace {

namespace fs = std::filesystem;
using qlsweep::e2e::Has;
using qlsweep::e2e::ReadText;
using qlsweep::e2e::RunQlsweep;
using ReproduceEndToEnd = qlsweep::e2e::E2eTest;

const char* const kSections[] = {
    "Memory budget by component",          "Sequence length",        "LoRA rank",
    "Micro-batch x gradient accumulation", "Training speed",         "Memory vs quality",
    "Quality vs full fine-tuning",         "The seed's other claims"};

// The verdict lines of the markdown, by section title: "- claim: **verdict** (reason)".
std::map<std::string, std::vector<std::pair<std::string, std::string>>> Verdicts(
    const std::string& md) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  static const std::regex kLine(R"(^- (.*): \*\*([a-z ]+)\*\*(.*)$)");
  std::string section;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("## ")) section = line.substr(3);
    std::smatch m;
    if (!section.empty() && std::regex_match(line, m, kLine)) {
      out[section].push_back({m[2].str(), m[3].str()});
    }
  }
  return out;
}

TEST_F(ReproduceEndToEnd, QuickRunsEverySectionAndResumes) {
  setenv("OMP_NUM_THREADS", "1", 1);  // tiny CPU trials: one thread each on a busy machine
  const std::string out = (dir_ / "seed").string();
  const std::string cmd =
      "reproduce seed-report --quick --quiet --db " + db_ + " --out " + out + " 2>&1";
  auto first = RunQlsweep(cmd);
  ASSERT_EQ(first.exit_code, 0) << first.out;

  const auto md = ReadText(fs::path(out) / "report.md");
  const auto html = ReadText(fs::path(out) / "index.html");
  ASSERT_FALSE(md.empty());
  ASSERT_FALSE(html.empty());
  const auto verdicts = Verdicts(md);
  for (const char* title : kSections) {
    EXPECT_TRUE(Has(html, title)) << title;
    std::string heading;
    for (const auto& [section, list] : verdicts) {
      if (section.starts_with(title)) heading = section;
    }
    ASSERT_FALSE(heading.empty()) << "no verdicts under " << title << "\n" << md;
    for (const auto& [verdict, reason] : verdicts.at(heading)) {
      EXPECT_TRUE(verdict == "holds" || verdict == "does not hold" ||
                  verdict == "cannot be checked here")
          << verdict;
      // On the CPU with the tiny model only the card's compute bound (arithmetic on the
      // profile, no measurement) may be judged; every other claim cannot be checked here.
      if (std::string(title) == "Training speed" && verdict == "does not hold") {
        EXPECT_TRUE(Has(reason, "peak bf16 throughput")) << reason;
        continue;
      }
      EXPECT_EQ(verdict, "cannot be checked here") << title << ": " << reason;
      EXPECT_TRUE(reason.starts_with(" (") && reason.size() > 4) << title << ": " << reason;
    }
  }
  EXPECT_TRUE(Has(md, "ran the tiny model (--quick)")) << md;
  EXPECT_TRUE(Has(md, "quality needs a real model and text"));
  EXPECT_TRUE(Has(md, "not defined anywhere in the seed report"));
  EXPECT_TRUE(Has(md, "min/epoch (fast end"));  // the speed projection (docs/speed-projection.md)
  EXPECT_TRUE(Has(md, "Losses on a re-quantized base"));
  // The full fine-tuning reference runs once the trial schema has train.method.
  const bool full_ft = Has(RunQlsweep("train --help").out, "train.method");
  EXPECT_EQ(Has(md, "full fine-tuning trial type missing"), !full_ft);
  EXPECT_TRUE(fs::exists(fs::path(out) / "sweeps/seed-rank-quick/index.html"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "sweeps/seed-claims-quick/tables/trials.csv"));

  const auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials();
  ASSERT_GT(trials.size(), 30u);
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, qlsweep::protocol::TrialStatus::kDone) << t.name << ": " << t.error;
  }

  // Again: every trial is recorded, none runs twice, the report is written again.
  fs::remove(fs::path(out) / "report.md");
  auto second = RunQlsweep(cmd);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_FALSE(Has(second.out, "ran 1")) << second.out;
  EXPECT_TRUE(Has(second.out, "ran 0")) << second.out;
  for (const auto& t : qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials()) {
    EXPECT_EQ(t.attempts, 1) << t.name;
  }
  EXPECT_EQ(ReadText(fs::path(out) / "report.md"), md);
}

TEST_F(ReproduceEndToEnd, RefusesWhatItCannotRun) {
  auto report = RunQlsweep("reproduce seed-reprot --quick --db " + db_ + " 2>&1");
  EXPECT_EQ(report.exit_code, 2) << report.out;
  auto profile =
      RunQlsweep("reproduce seed-report --quick --gpu-profile rtx4050 --db " + db_ + " 2>&1");
  EXPECT_EQ(profile.exit_code, 2);
  EXPECT_TRUE(Has(profile.out, "did you mean")) << profile.out;
  // The GPU set on a machine that shows no GPU: refused before anything runs.
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string saved = visible != nullptr ? visible : "";
  setenv("CUDA_VISIBLE_DEVICES", "", 1);
  auto gpu = RunQlsweep("reproduce seed-report --db " + db_ + " 2>&1");
  if (visible != nullptr) {
    setenv("CUDA_VISIBLE_DEVICES", saved.c_str(), 1);
  } else {
    unsetenv("CUDA_VISIBLE_DEVICES");
  }
  EXPECT_EQ(gpu.exit_code, 2);
  EXPECT_TRUE(Has(gpu.out, "--quick")) << gpu.out;
  EXPECT_FALSE(fs::exists(db_));
}

}  // namespace
