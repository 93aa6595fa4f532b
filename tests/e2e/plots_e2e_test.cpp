// e2e tier: the report's plots on a real run of eight trials (loss curves as small multiples,
// memory from 0, tokens/s not below 0) and on the recorded fixture (the GPU profile's line).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/analysis/sweep_fixture.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::Has;
using qlsweep::e2e::ReadText;

namespace fs = std::filesystem;
using qlsweep::e2e::RunQlsweep;
using PlotsEndToEnd = qlsweep::e2e::E2eTest;

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(part, at)) != std::string::npos; at += part.size()) ++n;
  return n;
}

TEST_F(PlotsEndToEnd, EightTrialsGetOnePanelEachAndHonestAxes) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("eight", "lora.r: [1]", 2));
  auto run = RunQlsweep("run " + sweep + " -m lora.r=1,2,3,4,5,6,7,8 --db " + db_ + " --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto out = dir_ / "report";
  auto report = RunQlsweep("report --db " + db_ + " --out " + out.string() + " 2>&1");
  ASSERT_EQ(report.exit_code, 0) << report.out;

  const std::string loss = ReadText(out / "plots" / "loss-curves.gp");
  EXPECT_TRUE(Has(loss, "set multiplot layout 3,3")) << loss;
  EXPECT_EQ(Count(loss, "set title 'r="), 16u);  // eight panels, drawn for the SVG and the PNG
  const std::string svg = ReadText(out / "plots" / "loss-curves.svg");
  EXPECT_TRUE(Has(svg, "</svg>"));
  EXPECT_EQ(Count(svg, ">r=8</text>"), 1u) << "one panel titled r=8";
  EXPECT_TRUE(fs::exists(out / "plots" / "loss-curves.png"));

  // No profile: memory from 0; tokens/s never below 0.
  EXPECT_TRUE(Has(ReadText(out / "plots" / "memory-by-lora.r.gp"), "set yrange [0:*]"));
  const std::string speed = ReadText(out / "plots" / "tokens-per-s-vs-memory.gp");
  EXPECT_TRUE(Has(speed, "set xrange [0:")) << speed;
  const auto y = speed.find("set yrange [");
  ASSERT_NE(y, std::string::npos);
  EXPECT_NE(speed[y + 12], '-') << speed.substr(y, 40);
}

TEST_F(PlotsEndToEnd, TheProfilesLineIsAlwaysDrawn) {
  db_ = qlsweep::analysis::testing::WriteFixtureRuns((dir_ / "runs").string());
  const auto out = dir_ / "report";
  auto report =
      RunQlsweep("report --db " + db_ + " --sweep rank-4050 --out " + out.string() + " 2>&1");
  ASSERT_EQ(report.exit_code, 0) << report.out;
  for (const char* plot : {"memory-vs-quality", "tokens-per-s-vs-memory"}) {
    const std::string gp = ReadText(out / "plots" / (std::string(plot) + ".gp"));
    EXPECT_TRUE(Has(gp, "set arrow from 5.99707, graph 0 to 5.99707, graph 1")) << plot;
    EXPECT_TRUE(Has(gp, "title 'rtx4050-laptop-6gb'")) << plot;
    EXPECT_TRUE(Has(ReadText(out / "plots" / (std::string(plot) + ".svg")), "rtx4050-laptop-6gb"))
        << plot;
  }
  const std::string memory = ReadText(out / "plots" / "memory-by-lora.r.gp");
  EXPECT_TRUE(Has(memory, "set yrange [0:*]"));
  EXPECT_TRUE(Has(memory, "'rtx4050-laptop-6gb: 6,141 MiB'"));
}

}  // namespace
