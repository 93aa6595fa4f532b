// The report's plot data and gnuplot commands (drawing them is the e2e report test's part).
#include "analysis/memory_plots.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/gnuplot_script.h"
#include "analysis/loss_plot.h"
#include "protocol/trial_status.h"
#include "tests/analysis/sweep_fixture.h"
#include "tests/support/scratch.h"

namespace qlsweep::analysis {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The data blocks of a plot's data file (split at the two blank lines).
std::vector<std::string> Blocks(const std::string& data) {
  std::vector<std::string> blocks;
  size_t start = 0, end;
  while ((end = data.find("\n\n\n", start)) != std::string::npos) {
    blocks.push_back(data.substr(start, end + 1 - start));
    start = end + 3;
  }
  return blocks;
}

class MemoryPlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::WriteFixtureRuns(dir_.File("runs"));
    index_ = storage::RunIndex::OpenReadOnly(db_);
  }
  qlsweep::testing::ScratchDir dir_;
  std::string db_;
  std::unique_ptr<storage::RunIndex> index_;
};

TEST_F(MemoryPlotsTest, MemoryBySeqLenHasTheProfileLineAndTheOomTrials) {
  const auto a = LoadSweepAnalysis(*index_, "seq-4050");
  EXPECT_EQ(NumericVaryingKeys(a), std::vector<std::string>{"data.seq_len"});
  const auto plot = MemoryByKeyPlot(a, "data.seq_len");
  EXPECT_EQ(plot.stem, "memory-by-data.seq_len");
  const auto blocks = Blocks(plot.data);
  ASSERT_EQ(blocks.size(), 2u) << plot.data;
  EXPECT_EQ(blocks[0], "512 5.50977\n1024 5.82031\n");   // GiB: the profile is over 1 GiB
  EXPECT_EQ(blocks[1], "2048 5.99707\n4096 5.99707\n");  // oom at the profile's memory
  EXPECT_TRUE(Has(plot.body, "title 'out of memory (drawn at the budget)'"));
  EXPECT_TRUE(Has(plot.body, "5.99707 with lines dt 2"));
  EXPECT_TRUE(Has(plot.body, "'rtx4050-laptop-6gb: 6,141 MiB'"));
  EXPECT_TRUE(Has(plot.body, "set ylabel 'peak memory in use (GiB)'"));
  EXPECT_TRUE(Has(plot.body, "set logscale x 2"));  // 512..4096
  EXPECT_TRUE(Has(plot.body, "set xtics (512, 1024, 2048, 4096)"));
  EXPECT_TRUE(Has(plot.body, "set yrange [0:*]"));
}

TEST_F(MemoryPlotsTest, MemoryStartsAtZeroWithoutAProfileToo) {
  storage::SweepRecord sweep{"noprofile", "", "", "", "{}"};
  std::vector<storage::TrialRow> trials;
  for (int r : {4, 8}) {
    storage::TrialRow t;
    t.id = t.name = "r" + std::to_string(r);
    t.status = protocol::TrialStatus::kDone;
    t.params = {{"lora.r", std::to_string(r)}};
    t.results = {{"device_peak_bytes", (400.0 + r) * 1024 * 1024}};
    trials.push_back(t);
  }
  const auto plot = MemoryByKeyPlot(AnalyzeSweep(sweep, trials), "lora.r");
  EXPECT_TRUE(Has(plot.body, "set yrange [0:*]"));
  EXPECT_FALSE(Has(plot.body, "dt 2"));  // no profile, no line
}

TEST_F(MemoryPlotsTest, QualityPlotUsesTheScoreAndDrawsTheFront) {
  const auto a = LoadSweepAnalysis(*index_, "rank-4050");
  const auto plot = MemoryQualityPlot(a);
  ASSERT_TRUE(plot.has_value());
  EXPECT_TRUE(Has(plot->body, "quality score (1 = reference lora.r=64)"));
  const auto blocks = Blocks(plot->data);
  ASSERT_GE(blocks.size(), 4u) << plot->data;  // points, labels (by alignment), front twice
  EXPECT_EQ(blocks[0], "5.24023 0.5\n5.29688 0.625\n5.50977 0.75\n5.75 0.7\n5.98047 1\n");
  for (const char* label : {"\"r=4\"", "\"r=8\"", "\"r=16\"", "\"r=32\"", "\"r=64\""}) {
    EXPECT_TRUE(Has(plot->data, label)) << label;  // five points, room for every label
  }
  EXPECT_EQ(blocks.back(), "5.24023 0.5\n5.29688 0.625\n5.50977 0.75\n5.98047 1\n");  // front
  EXPECT_TRUE(Has(plot->body, "with steps"));
  // The profile: always drawn (a dashed line, named in the key), the memory axis not from 0.
  EXPECT_TRUE(Has(plot->body, "set arrow from 5.99707, graph 0 to 5.99707, graph 1"));
  EXPECT_TRUE(Has(plot->body, "title 'rtx4050-laptop-6gb'"));
  EXPECT_FALSE(Has(plot->body, "set xrange [0:"));
  EXPECT_FALSE(Has(plot->body, "left out"));

  const auto speed = SpeedMemoryPlot(a);
  ASSERT_TRUE(speed.has_value());
  EXPECT_EQ(speed->data.rfind("5.24023 2659\n5.29688 2946\n", 0), 0u) << speed->data;
}

// Without a profile the memory axis starts at 0, and tokens/s never goes below 0; crowded
// labels are left out with a note.
TEST_F(MemoryPlotsTest, ScatterAxesAndCrowdedLabels) {
  storage::SweepRecord sweep{"crowd", "", "", "", "{}"};
  std::vector<storage::TrialRow> trials;
  for (int i = 0; i < 12; ++i) {
    storage::TrialRow t;
    t.id = t.name = "t" + std::to_string(i);
    t.status = protocol::TrialStatus::kDone;
    t.params = {{"lora.r", std::to_string(i + 1)}};
    t.results = {{"device_peak_bytes", (400 + i * 0.1) * 1024 * 1024},
                 {"tokens_per_s", i % 2 == 0 ? 50.0 : 5000.0}};
    trials.push_back(t);
  }
  const auto plot = SpeedMemoryPlot(AnalyzeSweep(sweep, trials));
  ASSERT_TRUE(plot.has_value());
  EXPECT_TRUE(Has(plot->body, "set xrange [0:")) << plot->body;
  EXPECT_TRUE(Has(plot->body, "set yrange [0:")) << plot->body;
  EXPECT_TRUE(Has(plot->body, "crowded label(s) left out")) << plot->body;
  EXPECT_FALSE(Has(plot->body, "set arrow"));
}

TEST_F(MemoryPlotsTest, WithoutAReferenceTheQualityPlotShowsEvalLoss) {
  const auto plot = MemoryQualityPlot(LoadSweepAnalysis(*index_, "seq-4050"));
  ASSERT_TRUE(plot.has_value());
  EXPECT_TRUE(Has(plot->body, "eval loss (nats/token, lower is better)"));
}

TEST_F(MemoryPlotsTest, LossCurvesFromTheSeriesFiles) {
  const auto a = LoadSweepAnalysis(*index_, "rank-4050");
  std::vector<std::string> problems;
  const auto series = ReadTrialSeries(a, "", &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(series.size(), 5u);  // the finished trials have files
  EXPECT_EQ(series[0].step, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(series[0].eval_step, (std::vector<double>{0, 4}));
  const auto plot = LossCurvesPlot(a, series);
  ASSERT_TRUE(plot.has_value());
  EXPECT_EQ(Blocks(plot->data).size(), 10u);  // train and eval of each
  EXPECT_TRUE(Has(plot->body, "title 'r=4'"));
  EXPECT_FALSE(Has(plot->body, "multiplot"));
  EXPECT_FALSE(LossCurvesPlot(a, {}).has_value());
}

// Past six trials, one panel each on a shared scale: 8 trials in 3 rows of 3.
TEST_F(MemoryPlotsTest, ManyLossCurvesAreSmallMultiples) {
  const auto a = LoadSweepAnalysis(*index_, "rank-4050");
  auto series = ReadTrialSeries(a, "", nullptr);
  ASSERT_EQ(series.size(), 5u);
  for (size_t i = 0; i < 3; ++i) series.push_back(series[i]);
  const auto plot = LossCurvesPlot(a, series);
  ASSERT_TRUE(plot.has_value());
  EXPECT_TRUE(Has(plot->body, "set multiplot layout 3,3"));
  EXPECT_TRUE(Has(plot->body, "unset multiplot"));
  EXPECT_TRUE(Has(plot->body, "set yrange [1.58:2.02]")) << plot->body;  // all losses
  EXPECT_EQ(plot->height, 70 + 3 * 200);
  size_t panels = 0;
  for (size_t at = 0; (at = plot->body.find("\nplot ", at)) != std::string::npos; ++at) ++panels;
  EXPECT_EQ(panels, 8u);
  // Drawn again for the PNG: gnuplot cannot replot a multiplot.
  const auto script = ScriptForOutputs(plot->stem, plot->body, true, plot->height);
  EXPECT_TRUE(Has(script, "size 900,670"));
  EXPECT_FALSE(Has(script, "replot"));
}

TEST(GnuplotScript, SvgThenPngOfTheSameBody) {
  const auto script = ScriptForOutputs("m", "plot 1\n", true);
  EXPECT_TRUE(Has(script, "set terminal svg"));
  EXPECT_TRUE(Has(script, "set output 'm.svg'"));
  EXPECT_TRUE(Has(script, "set terminal pngcairo"));
  EXPECT_TRUE(Has(script, "set output 'm.png'\nreplot"));
  EXPECT_FALSE(Has(ScriptForOutputs("m", "plot 1\n", false), "png"));
  EXPECT_EQ(GnuplotQuote("it's"), "'it''s'");
  EXPECT_EQ(DataFieldQuote("a \"b\""), "\"a 'b'\"");
}

}  // namespace
}  // namespace qlsweep::analysis
