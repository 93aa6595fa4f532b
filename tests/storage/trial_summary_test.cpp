// Migration 3: trial_summary's gpu_profile, base_eval_loss and quality columns, and the upgrade of
// a version-1 database.
#include <sqlite3.h>

#include <cstdint>

#include <gtest/gtest.h>

#include "protocol/trial_status.h"
#include "storage/run_index.h"
#include "storage/schema_migrations.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using protocol::TrialStatus;
using testing::ScratchDir;

uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

TEST(TrialSummaryV3, MigrationThreeIsTheSqlThatShipped) {
  ASSERT_GE(Migrations().size(), 3u);
  EXPECT_EQ(Fnv1a64(Migrations().at(2).sql), 0x714bac8a91787133ull) << Migrations().at(2).sql;
  EXPECT_EQ(Migrations().at(2).sql, SchemaV3());
}

// Records a trial of sweep "s" named `name`, finished with `status` and the two eval losses.
void Record(RunIndex& index, const std::string& name, TrialStatus status, double base, double final,
            const std::string& profile) {
  index.PlanTrial({name,
                   "s",
                   name,
                   "{\"n\":\"" + name + "\"}",
                   {{"hardware.gpu_profile", "\"" + profile + "\""}, {"lora.r", "8"}}});
  index.MarkRunning(name, "host", "");
  TrialOutcome outcome;
  outcome.id = name;
  outcome.status = status;
  if (status == TrialStatus::kDone) {
    outcome.results = {{"base_eval_loss", base}, {"final_eval_loss", final}};
  }
  index.RecordOutcome(outcome);
}

struct Row {
  std::string name;
  std::optional<std::string> gpu_profile, base_eval_loss, quality;
};

std::vector<Row> Summary(const RunIndex& index) {
  std::vector<Row> rows;
  for (const auto& r : index
                           .Query("SELECT name, gpu_profile, base_eval_loss, quality FROM "
                                  "trial_summary ORDER BY name")
                           .rows) {
    rows.push_back({*r[0], r[1], r[2], r[3]});
  }
  return rows;
}

TEST(TrialSummaryV3, QualityIsScoredAgainstTheReference) {
  ScratchDir dir;
  auto index = RunIndex::OpenForWrite(dir.File("runs.db"));
  index->UpsertSweep({"s", "s.yaml", "", "ref", "{}"});
  Record(*index, "ref", TrialStatus::kDone, 2.0, 1.6, "rtx4050-laptop-6gb");
  Record(*index, "half", TrialStatus::kDone, 2.1, 1.8, "");
  Record(*index, "oom", TrialStatus::kOom, 0, 0, "rtx4050-laptop-6gb");
  const auto rows = Summary(*index);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].name, "half");
  EXPECT_FALSE(rows[0].gpu_profile);  // no profile: NULL, not ''
  EXPECT_EQ(rows[0].base_eval_loss, "2.1");
  ASSERT_TRUE(rows[0].quality);
  EXPECT_NEAR(std::stod(*rows[0].quality), 0.5, 1e-12);  // the reference's base, 2.0, counts
  EXPECT_EQ(rows[1].name, "oom");
  EXPECT_EQ(rows[1].gpu_profile, "rtx4050-laptop-6gb");
  EXPECT_FALSE(rows[1].quality);
  EXPECT_EQ(rows[2].name, "ref");
  EXPECT_NEAR(std::stod(*rows[2].quality), 1.0, 1e-12);

  // No reference: no quality.
  index->UpsertSweep({"s", "s.yaml", "", "", "{}"});
  for (const auto& row : Summary(*index)) EXPECT_FALSE(row.quality) << row.name;
}

TEST(TrialSummaryV3, AVersionOneDatabaseIsUpgradedWithItsRows) {
  ScratchDir dir;
  const std::string path = dir.File("v1.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string v1 = SchemaV1() + "PRAGMA user_version = 1;" +
                         "INSERT INTO sweeps (name) VALUES ('s');"
                         "INSERT INTO trials (id, sweep, name, config_json) "
                         "VALUES ('t1', 's', 'one', '{}');"
                         "INSERT INTO sweep_trials VALUES ('s', 't1', 'one');";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto index = RunIndex::OpenForWrite(path);
  EXPECT_EQ(index->SchemaVersion(), LatestSchemaVersion());
  const auto rows = Summary(*index);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "one");
  EXPECT_FALSE(rows[0].quality);
}

}  // namespace
}  // namespace qlsweep::storage
