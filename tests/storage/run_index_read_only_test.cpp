// Read-only run index and free-form queries: writes refused, rows and columns returned, errors
// named.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "storage/schema_migrations.h"
#include "tests/support/expect_error.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using protocol::TrialStatus;

using testing::ScratchDir;

class RunIndexReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("runs.sqlite");
    auto writer = RunIndex::OpenForWrite(path_);
    writer->UpsertSweep({"rank", "rank.yaml", "", "", "{}"});
    writer->PlanTrial({"a1", "rank", "r8", "{}", {{"lora.r", "8"}}});
    writer->PlanTrial({"a2", "rank", "r16", "{}", {{"lora.r", "16"}}});
    writer->MarkRunning("a2", "h", "g");
    writer->RecordOutcome({"a2", TrialStatus::kDone, 0, 0, "", "", "", 1, {{"tokens_per_s", 10}}});
  }

  // Runs `sql` on the read-only index and returns the error message it must throw.
  std::string Refusal(const RunIndex& index, const std::string& sql) {
    return qlsweep::testing::ErrorOf<StorageError>([&] { index.Query(sql); });
  }

  ScratchDir dir_;
  std::string path_;
};

TEST_F(RunIndexReadOnlyTest, ReadsWork) {
  auto index = RunIndex::OpenReadOnly(path_);
  EXPECT_TRUE(index->read_only());
  EXPECT_EQ(index->Trials("rank").size(), 2u);
  EXPECT_EQ(index->Trials("rank", TrialStatus::kDone).size(), 1u);
  EXPECT_EQ(index->Trial("a2")->results.at("tokens_per_s"), 10);
}

TEST_F(RunIndexReadOnlyTest, QueryReturnsColumnsRowsAndNulls) {
  auto index = RunIndex::OpenReadOnly(path_);
  const QueryResult result =
      index->Query("SELECT id, status, started_at AS started FROM trials ORDER BY id");
  EXPECT_EQ(result.columns, (std::vector<std::string>{"id", "status", "started"}));
  ASSERT_EQ(result.rows.size(), 2u);
  EXPECT_EQ(result.rows[0][0], "a1");
  EXPECT_EQ(result.rows[0][1], "planned");
  EXPECT_EQ(result.rows[0][2], std::nullopt);
  EXPECT_EQ(result.rows[1][1], "done");
  EXPECT_TRUE(result.rows[1][2].has_value());
  const QueryResult none = index->Query("SELECT id FROM trials WHERE id = 'zz'");
  EXPECT_EQ(none.columns, std::vector<std::string>{"id"});
  EXPECT_TRUE(none.rows.empty());
}

TEST_F(RunIndexReadOnlyTest, EveryKindOfWriteIsRefused) {
  auto index = RunIndex::OpenReadOnly(path_);
  for (const std::string sql : {
           "INSERT INTO sweeps (name) VALUES ('x')",
           "UPDATE trials SET status = 'done'",
           "DELETE FROM trials",
           "DROP TABLE results",
           "DROP VIEW trial_summary",
           "CREATE TABLE notes (x TEXT)",
           "CREATE INDEX trials_name ON trials(name)",
           "SELECT 1; DELETE FROM params",
       }) {
    const std::string message = Refusal(*index, sql);
    EXPECT_NE(message.find("opened read-only"), std::string::npos) << sql << ": " << message;
    EXPECT_NE(message.find(path_), std::string::npos) << message;
  }
  EXPECT_NE(Refusal(*index, "PRAGMA user_version = 7"), "");
  EXPECT_THROW(index->UpsertSweep({"x", "", "", "", ""}), StorageError);
  EXPECT_THROW(index->MarkRunning("a1", "h", "g"), StorageError);

  auto writer = RunIndex::OpenForWrite(path_);  // nothing changed
  EXPECT_EQ(writer->Query("SELECT count(*) FROM params").rows[0][0], "2");
  EXPECT_EQ(writer->Query("SELECT count(*) FROM sweeps").rows[0][0], "1");
  EXPECT_EQ(writer->SchemaVersion(), index->SchemaVersion());
}

TEST_F(RunIndexReadOnlyTest, AttachDetachAndStateChangingPragmasAreRefusedAtPrepare) {
  auto index = RunIndex::OpenReadOnly(path_);
  const std::string other = dir_.File("other.sqlite");
  { RunIndex::OpenForWrite(other); }
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"ATTACH '" + other + "' AS o", "refusing ATTACH"},
      {"DETACH main", "refusing DETACH"},
      {"PRAGMA writable_schema = ON", "refusing PRAGMA writable_schema = ON"},
      {"pragma WRITABLE_SCHEMA=1", "refusing PRAGMA WRITABLE_SCHEMA = 1"},
      {"PRAGMA journal_mode = DELETE", "refusing PRAGMA journal_mode = DELETE"},
      {"PRAGMA query_only = 0", "refusing PRAGMA query_only = 0"},
      {"PRAGMA main.user_version = 3", "refusing PRAGMA user_version = 3"},
      {"PRAGMA shrink_memory", "refusing PRAGMA shrink_memory"},
      {"BEGIN IMMEDIATE", "refusing a transaction (BEGIN)"},
      {"CREATE TEMP TABLE scratch (x)", "refusing a write to sqlite_temp_master"},
      {"CREATE TEMP VIEW v AS SELECT 1", "refusing a write to sqlite_temp_master"},
      {"INSERT INTO sweeps (name) VALUES ('x')", "refusing a write to sweeps"},
  };
  for (const auto& [sql, expected] : refused) {
    try {
      index->Query(sql);
      ADD_FAILURE() << sql << " was let through";
    } catch (const QueryError& e) {
      EXPECT_EQ(std::string(e.what()),
                "run index " + path_ + " is opened read-only; " + expected + " [in: " + sql + "]")
          << sql;
    }
  }
  EXPECT_EQ(index->Query("PRAGMA table_info(trials)").rows.at(0).at(1), "id");
  EXPECT_EQ(index->Query("PRAGMA quick_check").rows.at(0).at(0), "ok");
  EXPECT_EQ(index->Query("pragma User_Version").rows.at(0).at(0),
            std::to_string(LatestSchemaVersion()));  // reading it is allowed; setting it is not
  EXPECT_EQ(index->SchemaVersion(), LatestSchemaVersion());
  EXPECT_THROW(index->Query("SELECT randomblob(300000000)"), QueryError);  // SQLITE_LIMIT_LENGTH
}

TEST_F(RunIndexReadOnlyTest, QueriesStopAtTheirTimeAndRowLimits) {
  auto index = RunIndex::OpenReadOnly(path_);
  const std::string forever =
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n";
  const auto start = std::chrono::steady_clock::now();
  try {
    index->Query(forever, {.timeout_s = 0.3});
    ADD_FAILURE() << "an endless query ended";
  } catch (const QueryError& e) {
    EXPECT_NE(std::string(e.what()).find("stopped after 0.3 s, its time limit"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  try {
    index->Query("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n",
                 {.max_rows = 1000});
    ADD_FAILURE() << "an endless result ended";
  } catch (const QueryError& e) {
    EXPECT_NE(std::string(e.what()).find("returns more than 1000 rows"), std::string::npos)
        << e.what();
  }
  // Within the limits the same connection goes on answering, with no handler left behind.
  EXPECT_EQ(
      index->Query("SELECT count(*) FROM trials", {.timeout_s = 5, .max_rows = 1}).rows.at(0).at(0),
      "2");
  EXPECT_THROW(index->Query("SELECT nosuch FROM trials"), QueryError);
}

TEST_F(RunIndexReadOnlyTest, ErrorsNameTheFileAndTheStatement) {
  auto index = RunIndex::OpenReadOnly(path_);
  const std::string message = Refusal(*index, "SELECT nosuch FROM trials");
  EXPECT_NE(message.find(path_), std::string::npos) << message;
  EXPECT_NE(message.find("SELECT nosuch FROM trials"), std::string::npos) << message;
  EXPECT_NE(message.find("no such column"), std::string::npos) << message;
}

TEST_F(RunIndexReadOnlyTest, MissingOrEmptyFilesAreRefused) {
  const std::string missing = dir_.File("missing.sqlite");
  try {
    RunIndex::OpenReadOnly(missing);
    FAIL() << "opening a missing file read-only must fail";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(missing));

  const std::string empty = dir_.File("empty.sqlite");
  std::ofstream(empty).flush();
  try {
    RunIndex::OpenReadOnly(empty);
    FAIL() << "an empty file is not a run index";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("not a qlsweep run index"), std::string::npos);
  }
}

TEST_F(RunIndexReadOnlyTest, WriterAndReaderCanBeOpenAtOnce) {
  auto writer = RunIndex::OpenForWrite(path_);
  auto reader = RunIndex::OpenReadOnly(path_);
  writer->PlanTrial({"a3", "rank", "r32", "{}", {}});
  EXPECT_EQ(reader->Trials("rank").size(), 3u);  // WAL: the reader sees the committed write
}

}  // namespace
}  // namespace qlsweep::storage
