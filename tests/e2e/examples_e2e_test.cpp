// e2e tier: `qlsweep examples` (list, show, cp) and `qlsweep plan` with overrides, on the shipped
// example sweeps; nothing trains.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::ReadText;

namespace fs = std::filesystem;
using qlsweep::e2e::RunQlsweep;
using ExamplesEndToEnd = qlsweep::e2e::E2eTest;

TEST_F(ExamplesEndToEnd, ListsEveryShippedSweepAndCopiesOne) {
  auto list = RunQlsweep("examples --format json");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  const auto rows = nlohmann::json::parse(list.out);
  size_t shipped = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(QLSWEEP_SOURCE_DIR) / "sweeps/examples")) {
    ++shipped;
    const auto name = entry.path().stem().string();
    bool listed = false;
    for (const auto& row : rows) listed = listed || row["name"] == name;
    EXPECT_TRUE(listed) << name;
  }
  EXPECT_EQ(rows.size(), shipped);

  const auto source = fs::path(QLSWEEP_SOURCE_DIR) / "sweeps/examples/rank-vs-seq-len-cpu.yaml";
  auto show = RunQlsweep("examples show rank-vs-seq-len-cpu");
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(show.out, ReadText(source));

  // cp into a folder, then to a file; an existing file is kept unless --force.
  auto copy = RunQlsweep("examples cp rank-vs-seq-len-cpu " + dir_.string());
  ASSERT_EQ(copy.exit_code, 0) << copy.out;
  const auto copied = dir_ / "rank-vs-seq-len-cpu.yaml";
  EXPECT_EQ(ReadText(copied), ReadText(source));
  auto again = RunQlsweep("examples cp rank-vs-seq-len-cpu " + copied.string() + " 2>&1");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.out.find("--force"), std::string::npos) << again.out;
  EXPECT_EQ(RunQlsweep("examples cp rank-vs-seq-len-cpu " + copied.string() + " --force").exit_code,
            0);
  auto typo = RunQlsweep("examples cp rank-vs-seqlen-cpu 2>&1");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.out.find("did you mean 'rank-vs-seq-len-cpu'?"), std::string::npos) << typo.out;

  // The copy plans like the original, with overrides.
  auto plan = RunQlsweep("plan " + copied.string() + " -m lora.r=4,8 data.seq_len=64 --format csv");
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_EQ(std::count(plan.out.begin(), plan.out.end(), '\n'), 3) << plan.out;  // header + 2
  EXPECT_NE(plan.out.find(",lora.r=8,"), std::string::npos) << plan.out;
}

TEST_F(ExamplesEndToEnd, PlanOverridesTheBuiltInDefaultSweep) {
  auto plan = RunQlsweep("plan train.steps=4 -m lora.r=2,4 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  const auto rows = nlohmann::json::parse(plan.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["name"], "lora.r=2");
  EXPECT_EQ(rows[1]["name"], "lora.r=4");
}

}  // namespace
