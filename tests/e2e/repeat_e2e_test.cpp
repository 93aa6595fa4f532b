// e2e tier: `repeat: K` runs every configuration with K seeds; the tables show one row per
// configuration with the number of seeds and the spread of each figure.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::RunQlsweep;
using RepeatEndToEnd = qlsweep::e2e::E2eTest;

TEST_F(RepeatEndToEnd, SeedsAreTrialsAndTablesShowMeanAndSpread) {
  const auto sweep =
      WriteSweep(qlsweep::e2e::TinyCpuSweep("rep", "lora.r: [2, 4]", 4, "reference: lora.r=4\n"));
  auto run = RunQlsweep("run " + sweep + " repeat=2 --db " + db_ + " --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("rep");
  ASSERT_EQ(trials.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> want = {{"lora.r=2,train.seed=0", "0"},
                                                                 {"lora.r=2,train.seed=1", "1"},
                                                                 {"lora.r=4,train.seed=0", "0"},
                                                                 {"lora.r=4,train.seed=1", "1"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(trials[i].name, want[i].first);
    EXPECT_EQ(trials[i].params.at("train.seed"), want[i].second);
  }
  // Different seeds, different weights: the eval losses differ.
  EXPECT_NE(trials[0].results.at("final_eval_loss"), trials[1].results.at("final_eval_loss"));

  auto table = RunQlsweep("table --db " + db_ + " --by lora.r --format json");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  const auto rows = nlohmann::json::parse(table.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["trial"], "lora.r=2");
  EXPECT_EQ(rows[0]["seeds"], "2/2");
  const double mean =
      (trials[0].results.at("final_eval_loss") + trials[1].results.at("final_eval_loss")) / 2;
  EXPECT_NEAR(rows[0]["eval loss"].get<double>(), mean, 1e-4);
  EXPECT_GT(rows[0]["eval loss sd"].get<double>(), 0.0);
  EXPECT_NEAR(rows[1]["quality"].get<double>(), 1.0, 1e-3);  // the reference's mean
  EXPECT_TRUE(rows[1]["quality sd"].is_number());
}

}  // namespace
