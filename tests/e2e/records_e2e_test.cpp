// e2e tier: reading records on a recorded run index: `runs --where` on parameters and results,
// errors for unknown keys and sweeps, `compare`, typed JSON, and trial_summary's quality column.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/analysis/sweep_fixture.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::RunQlsweep;

class RecordsEndToEnd : public qlsweep::e2e::E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    db_ = qlsweep::analysis::testing::WriteFixtureRuns((dir_ / "runs").string());
  }
  nlohmann::json Json(const std::string& args) {
    const auto result = RunQlsweep(args + " --db " + db_ + " --format json");
    EXPECT_EQ(result.exit_code, 0) << args << "\n" << result.out;
    return result.exit_code == 0 ? nlohmann::json::parse(result.out) : nlohmann::json::array();
  }
  std::vector<std::string> Names(const nlohmann::json& rows) {
    std::vector<std::string> names;
    for (const auto& row : rows) names.push_back(row["name"]);
    return names;
  }
};

TEST_F(RecordsEndToEnd, RunsWhereFiltersOnParametersAndResults) {
  struct Case {
    std::string where;
    std::vector<std::string> names;
  };
  for (const auto& c : {
           Case{"--where 'final_eval_loss<1.75'", {"lora.r=16", "lora.r=32", "lora.r=64"}},
           Case{"--where 'lora.r>=16' --where 'final_eval_loss<=1.70'", {"lora.r=16", "lora.r=64"}},
           Case{"--where 'tokens_per_s>2900'", {"lora.r=8"}},
           Case{"--where 'lora.r>=128'", {"lora.r=128", "lora.r=256"}},  // no results needed
           Case{"--where 'perplexity>100'", {}},
       }) {
    EXPECT_EQ(Names(Json("runs --sweep rank-4050 " + c.where)), c.names) << c.where;
  }
}

TEST_F(RecordsEndToEnd, UnknownKeysAndSweepsAreErrorsWithHints) {
  struct Case {
    std::string args, message;
  };
  for (const auto& c : {
           Case{"runs --where 'final_eval_los<3'", "did you mean 'final_eval_loss'?"},
           Case{"runs --where 'lora.rank=8'", "did you mean 'lora.r'?"},
           Case{"runs --sweep rank-405", "no sweep 'rank-405' recorded; did you mean 'rank-4050'?"},
           Case{"table --sweep rank-405", "no sweep 'rank-405' recorded"},
           Case{"report --sweep nope", "no sweep 'nope' recorded"},
           Case{"compare lora.r=4 nope", "no trial 'nope'"},
           Case{"compare lora.r=4", "two or more"},
           Case{"runs --format yaml", "--format"},
       }) {
    const auto result = RunQlsweep(c.args + " --db " + db_ + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.out;
    EXPECT_NE(result.out.find(c.message), std::string::npos) << c.args << "\n" << result.out;
  }
}

TEST_F(RecordsEndToEnd, JsonIsTyped) {
  const auto runs = Json("runs --sweep rank-4050");
  ASSERT_EQ(runs.size(), 7u);
  EXPECT_TRUE(runs[0]["attempts"].is_number_integer()) << runs[0];
  EXPECT_TRUE(runs[0]["wall s"].is_number()) << runs[0];
  EXPECT_TRUE(runs[0]["error"].is_null()) << runs[0];
  EXPECT_TRUE(runs[0]["trial"].is_string()) << runs[0];

  const auto table = Json("table --sweep rank-4050 --by lora.r");
  EXPECT_EQ(table[0]["lora.r"], 4);
  EXPECT_EQ(table[0]["trainable params"], 9994240);
  EXPECT_DOUBLE_EQ(table[0]["quality"].get<double>(), 0.5);
  EXPECT_TRUE(table[5]["quality"].is_null());  // lora.r=128 ran out of memory
  EXPECT_EQ(table[0]["fits rtx4050-laptop-6gb?"], "yes (+775 MiB)");

  const auto query = Json(
      "query \"SELECT name, lora_r, final_eval_loss, oom_phase FROM trial_summary WHERE sweep = "
      "'rank-4050' ORDER BY lora_r\"");
  EXPECT_EQ(query[0]["lora_r"], 4);
  EXPECT_DOUBLE_EQ(query[0]["final_eval_loss"].get<double>(), 1.8);
  EXPECT_TRUE(query[0]["oom_phase"].is_null());
  EXPECT_EQ(query[5]["oom_phase"], "backward");
  const auto csv = RunQlsweep("query --db " + db_ +
                              " --format csv \"SELECT oom_phase FROM trial_summary WHERE name = "
                              "'lora.r=4'\"");
  EXPECT_EQ(csv.out, "oom_phase\n\n");  // NULL is an empty CSV cell
}

TEST_F(RecordsEndToEnd, TrialSummaryHasProfileBaseLossAndTheTablesQuality) {
  const auto summary = Json(
      "query \"SELECT name, gpu_profile, base_eval_loss, quality FROM trial_summary WHERE sweep "
      "= 'rank-4050' ORDER BY lora_r\"");
  const auto table = Json("table --sweep rank-4050 --by lora.r");
  ASSERT_EQ(summary.size(), table.size());
  for (size_t i = 0; i < summary.size(); ++i) {
    SCOPED_TRACE(summary[i]["name"].get<std::string>());
    EXPECT_EQ(summary[i]["gpu_profile"], "rtx4050-laptop-6gb");
    EXPECT_EQ(summary[i]["name"], table[i]["trial"]);
    if (table[i]["quality"].is_null()) {
      EXPECT_TRUE(summary[i]["quality"].is_null());
      continue;
    }
    EXPECT_DOUBLE_EQ(summary[i]["base_eval_loss"].get<double>(), 2.0);
    EXPECT_NEAR(summary[i]["quality"].get<double>(), table[i]["quality"].get<double>(), 5e-4);
  }
}

TEST_F(RecordsEndToEnd, CompareShowsTheConfigDiffAndTheResults) {
  const auto rows = Json("compare lora.r=4 rank-4050-lora.r=64 rank-4050-lora.r=128");
  std::map<std::string, nlohmann::json> by_key;
  for (const auto& row : rows) by_key[row["key"]] = row;
  const std::string a = "rank-4050-lora.r=4", b = "rank-4050-lora.r=64", c = "rank-4050-lora.r=128";
  EXPECT_EQ(by_key["name"][a], "lora.r=4");
  EXPECT_EQ(by_key["status"][c], "oom (backward)");
  EXPECT_EQ(by_key["lora.r"][a], 4);
  EXPECT_EQ(by_key["lora.r"][b], 64);
  EXPECT_EQ(by_key.count("hardware.gpu_profile"), 0u);  // equal everywhere: not a difference
  EXPECT_DOUBLE_EQ(by_key["final_eval_loss"][a].get<double>(), 1.8);
  EXPECT_DOUBLE_EQ(by_key["final_eval_loss"][b].get<double>(), 1.6);
  EXPECT_TRUE(by_key["final_eval_loss"][c].is_null());
  EXPECT_EQ(by_key.count("started.trainable_params"), 0u);  // --all shows prefixed results

  const auto all = Json("compare lora.r=4 rank-4050-lora.r=64 --all");
  bool has_profile = false, has_started = false;
  for (const auto& row : all) {
    has_profile = has_profile || row["key"] == "hardware.gpu_profile";
    has_started = has_started || row["key"] == "started.trainable_params";
  }
  EXPECT_TRUE(has_profile);
  EXPECT_TRUE(has_started);

  const auto markdown = RunQlsweep("compare lora.r=4 lora.r=64 --db " + db_);
  ASSERT_EQ(markdown.exit_code, 0) << markdown.out;
  EXPECT_NE(markdown.out.find("| device_peak_bytes "), std::string::npos) << markdown.out;
  EXPECT_NE(markdown.out.find("5.240 GiB"), std::string::npos) << markdown.out;
}

}  // namespace
