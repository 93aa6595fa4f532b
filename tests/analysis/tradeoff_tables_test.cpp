// Trade-off tables of recorded sweeps (the fixture's run index): columns, cells, Pareto marks.
#include "analysis/tradeoff_tables.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/sweep_analysis.h"
#include "tests/analysis/sweep_fixture.h"
#include "tests/support/scratch.h"

namespace qlsweep::analysis {
namespace {

class TradeoffTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = storage::RunIndex::OpenReadOnly(testing::WriteFixtureRuns(dir_.File("runs")));
  }
  SweepAnalysis Load(const std::string& sweep) { return LoadSweepAnalysis(*index_, sweep); }

  // The cell of the row whose "trial" is `trial`, in the column headed `header`.
  static std::string Cell(const TextTable& t, const std::string& trial, const std::string& header) {
    const auto col = std::find(t.headers.begin(), t.headers.end(), header);
    EXPECT_NE(col, t.headers.end()) << header;
    for (const auto& row : t.rows) {
      if (row.at(0) == trial && col != t.headers.end()) return row.at(col - t.headers.begin());
    }
    ADD_FAILURE() << "no row " << trial;
    return "";
  }
  static std::vector<std::string> Trials(const TextTable& t) {
    std::vector<std::string> names;
    for (const auto& row : t.rows) names.push_back(row.at(0));
    return names;
  }

  qlsweep::testing::ScratchDir dir_;
  std::unique_ptr<storage::RunIndex> index_;
};

TEST_F(TradeoffTablesTest, AnalysisScoresQualityAndMarksBothFronts) {
  const auto a = Load("rank-4050");
  ASSERT_TRUE(a.yardstick.has_value()) << a.no_quality_reason;
  const std::vector<double> quality = {0.5, 0.625, 0.75, 0.7, 1.0};
  for (size_t i = 0; i < quality.size(); ++i) {
    ASSERT_TRUE(a.figures[i].quality.has_value()) << a.trials[i].name;
    EXPECT_NEAR(*a.figures[i].quality, quality[i], 1e-9) << a.trials[i].name;
  }
  EXPECT_FALSE(a.figures[5].quality.has_value());  // oom
  EXPECT_FALSE(a.figures[6].quality.has_value());  // failed
  std::vector<bool> on_quality, on_speed;
  for (const auto& f : a.figures) {
    on_quality.push_back(f.pareto_quality);
    on_speed.push_back(f.pareto_speed);
  }
  EXPECT_EQ(on_quality, (std::vector<bool>{true, true, true, false, true, false, false}));
  EXPECT_EQ(on_speed, (std::vector<bool>{true, true, false, false, false, false, false}));
  EXPECT_EQ(a.varying, std::vector<std::string>{"lora.r"});
}

TEST_F(TradeoffTablesTest, RankTable) {
  const auto t = TradeoffTable(Load("rank-4050"), ParseTradeoffKey("lora.r"));
  EXPECT_EQ(t.headers, (std::vector<std::string>{"trial", "status", "lora.r", "trainable params",
                                                 "total GiB", "fits rtx4050-laptop-6gb?",
                                                 "tokens/s", "eval loss", "quality", "pareto"}));
  EXPECT_EQ(Trials(t), (std::vector<std::string>{"lora.r=4", "lora.r=8", "lora.r=16", "lora.r=32",
                                                 "lora.r=64", "lora.r=128", "lora.r=256"}));
  EXPECT_EQ(Cell(t, "lora.r=16", "trainable params"), "39,976,960");
  EXPECT_EQ(Cell(t, "lora.r=4", "total GiB"), "5.24");
  EXPECT_EQ(Cell(t, "lora.r=4", "fits rtx4050-laptop-6gb?"), "yes (+775 MiB)");
  EXPECT_EQ(Cell(t, "lora.r=64", "fits rtx4050-laptop-6gb?"), "yes (+17 MiB)");
  EXPECT_EQ(Cell(t, "lora.r=128", "fits rtx4050-laptop-6gb?"), "no (oom in backward)");
  EXPECT_EQ(Cell(t, "lora.r=128", "status"), "oom (backward)");
  EXPECT_EQ(Cell(t, "lora.r=256", "status"), "failed");
  EXPECT_EQ(Cell(t, "lora.r=256", "fits rtx4050-laptop-6gb?"), "-");
  EXPECT_EQ(Cell(t, "lora.r=256", "total GiB"), "-");
  EXPECT_EQ(Cell(t, "lora.r=32", "quality"), "0.700");
  EXPECT_EQ(Cell(t, "lora.r=64", "quality"), "1.000");
  EXPECT_EQ(Cell(t, "lora.r=4", "pareto"), "quality, speed");
  EXPECT_EQ(Cell(t, "lora.r=16", "pareto"), "quality");
  EXPECT_EQ(Cell(t, "lora.r=32", "pareto"), "");
  EXPECT_EQ(TradeoffTable(Load("rank-4050"), ParseTradeoffKey("rank")).rows, t.rows);
}

TEST_F(TradeoffTablesTest, SeqLenTableShowsActivationMemory) {
  const auto a = Load("seq-4050");
  EXPECT_FALSE(a.yardstick.has_value());
  const auto t = TradeoffTable(a, ParseTradeoffKey("seq_len"));
  EXPECT_EQ(t.headers, (std::vector<std::string>{
                           "trial", "status", "data.seq_len", "activation memory MiB", "total GiB",
                           "fits rtx4050-laptop-6gb?", "tokens/s", "pareto"}));
  EXPECT_EQ(Cell(t, "data.seq_len=512", "activation memory MiB"), "600.0");  // 4500 - 3900
  EXPECT_EQ(Cell(t, "data.seq_len=1024", "activation memory MiB"), "900.0");
  EXPECT_EQ(Cell(t, "data.seq_len=1024", "fits rtx4050-laptop-6gb?"), "yes (+181 MiB)");
  EXPECT_EQ(Cell(t, "data.seq_len=2048", "fits rtx4050-laptop-6gb?"), "no (oom in backward)");
  EXPECT_EQ(Cell(t, "data.seq_len=4096", "fits rtx4050-laptop-6gb?"), "no (oom in forward)");
  EXPECT_EQ(Cell(t, "data.seq_len=4096", "activation memory MiB"), "-");
}

TEST_F(TradeoffTablesTest, BatchTableShowsEffectiveBatchAndRelativeTime) {
  const auto t = TradeoffTable(Load("batch-4050"), ParseTradeoffKey("train.grad_accum"));
  EXPECT_EQ(t.headers[2], "micro-batch x accumulation");
  EXPECT_EQ(Trials(t), (std::vector<std::string>{"1x16", "2x8", "4x4", "8x2"}));
  EXPECT_EQ(Cell(t, "2x8", "micro-batch x accumulation"), "2 x 8");
  EXPECT_EQ(Cell(t, "2x8", "effective batch"), "16");
  EXPECT_EQ(Cell(t, "1x16", "s per effective batch"), "2.745");  // 16 x 512 / 2984
  EXPECT_EQ(Cell(t, "2x8", "time vs fastest"), "1.00x");
  EXPECT_EQ(Cell(t, "1x16", "time vs fastest"), "1.56x");
  EXPECT_EQ(Cell(t, "8x2", "time vs fastest"), "-");
  EXPECT_EQ(Cell(t, "8x2", "fits rtx4050-laptop-6gb?"), "no (oom in forward)");
}

TEST_F(TradeoffTablesTest, MemoryVsQualityIsOrderedByMemory) {
  const auto t = TradeoffTable(Load("rank-4050"), ParseTradeoffKey("quality"));
  EXPECT_EQ(Trials(t), (std::vector<std::string>{"lora.r=4", "lora.r=8", "lora.r=16", "lora.r=32",
                                                 "lora.r=64", "lora.r=128", "lora.r=256"}));
  EXPECT_EQ(Cell(t, "lora.r=64", "perplexity"), "4.95");
  EXPECT_EQ(Cell(t, "lora.r=64", "eval loss"), "1.6000");
  const auto pareto = ParetoTable(Load("rank-4050"), true);
  EXPECT_EQ(Trials(pareto),
            (std::vector<std::string>{"lora.r=4", "lora.r=8", "lora.r=16", "lora.r=64"}));
  EXPECT_EQ(Trials(ParetoTable(Load("rank-4050"), false)),
            (std::vector<std::string>{"lora.r=4", "lora.r=8"}));
}

TEST_F(TradeoffTablesTest, GenericKeyAndUnknownKey) {
  const auto a = Load("rank-4050");
  const auto t = TradeoffTable(a, ParseTradeoffKey("model.preset"));
  EXPECT_EQ(t.headers[2], "model.preset");
  EXPECT_EQ(t.headers[3], "lora.r");  // the varying key follows
  EXPECT_EQ(t.rows.size(), 7u);
  EXPECT_THROW(TradeoffTable(a, ParseTradeoffKey("lora.rank")), std::invalid_argument);
  EXPECT_THROW(LoadSweepAnalysis(*index_, "no-such-sweep"), std::invalid_argument);
}

TEST_F(TradeoffTablesTest, ReportKeysFollowTheVaryingParameters) {
  auto kinds = [](const std::vector<TradeoffKey>& keys) {
    std::vector<TradeoffLayout> layouts;
    for (const auto& k : keys) layouts.push_back(k.layout);
    return layouts;
  };
  EXPECT_EQ(kinds(TradeoffKeysFor(Load("rank-4050"))),
            (std::vector<TradeoffLayout>{TradeoffLayout::kRank, TradeoffLayout::kQuality}));
  EXPECT_EQ(kinds(TradeoffKeysFor(Load("batch-4050"))),
            (std::vector<TradeoffLayout>{TradeoffLayout::kBatch, TradeoffLayout::kQuality}));
}

}  // namespace
}  // namespace qlsweep::analysis
