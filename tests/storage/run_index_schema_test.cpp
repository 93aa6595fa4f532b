// Schema versioning of the run index: migrations, idempotent reopening, pragmas at open.
#include <sqlite3.h>

#include <cstdint>

#include <gtest/gtest.h>

#include "protocol/trial_status.h"
#include "storage/run_index.h"
#include "storage/schema_migrations.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using testing::ScratchDir;

std::string Scalar(const RunIndex& index, const std::string& sql) {
  const QueryResult result = index.Query(sql);
  EXPECT_EQ(result.rows.size(), 1u) << sql;
  if (result.rows.empty() || result.rows[0].empty() || !result.rows[0][0]) return "<null>";
  return *result.rows[0][0];
}

TEST(RunIndexSchemaTest, MigrationsAreNumberedFromOneWithoutGaps) {
  const auto& migrations = Migrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(migrations[i].sql.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), migrations.back().version);
}

TEST(RunIndexSchemaTest, FreshDatabaseIsAtTheLatestVersion) {
  ScratchDir dir;
  auto index = RunIndex::OpenForWrite(dir.File("runs.sqlite"));
  EXPECT_EQ(index->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(Scalar(*index, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
  const QueryResult tables =
      index->Query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name");
  std::vector<std::string> names;
  for (const auto& row : tables.rows) names.push_back(*row[0]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"environment", "params", "results", "sweep_trials", "sweeps",
                                      "trial_notes", "trial_summary", "trial_tags", "trials"}));
}

TEST(RunIndexSchemaTest, OpeningTwiceIsIdempotentAndKeepsData) {
  ScratchDir dir;
  const std::string path = dir.File("runs.sqlite");
  {
    auto index = RunIndex::OpenForWrite(path);
    index->UpsertSweep({"s", "s.yaml", "", "", "{}"});
  }
  auto index = RunIndex::OpenForWrite(path);
  EXPECT_EQ(index->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(Scalar(*index, "SELECT count(*) FROM sweeps"), "1");
  EXPECT_EQ(Scalar(*index, "SELECT count(*) FROM sqlite_master WHERE name = 'trials'"), "1");
}

TEST(RunIndexSchemaTest, WriteOpenSetsWalAndPragmas) {
  ScratchDir dir;
  auto index = RunIndex::OpenForWrite(dir.File("runs.sqlite"));
  EXPECT_EQ(Scalar(*index, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Scalar(*index, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(Scalar(*index, "PRAGMA busy_timeout"), "10000");
  EXPECT_EQ(Scalar(*index, "PRAGMA foreign_keys"), "1");
}

TEST(RunIndexSchemaTest, NewerDatabaseIsRefused) {
  ScratchDir dir;
  const std::string path = dir.File("runs.sqlite");
  RunIndex::OpenForWrite(path)->Query("PRAGMA user_version = 999");
  try {
    RunIndex::OpenForWrite(path);
    FAIL() << "a schema newer than the build must be refused";
  } catch (const StorageError& error) {
    EXPECT_NE(std::string(error.what()).find("schema version 999"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos);
  }
}

TEST(RunIndexSchemaTest, FailedMigrationRollsBackAndNamesFileAndSql) {
  ScratchDir dir;
  const std::string path = dir.File("foreign.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE trials (x INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  try {
    RunIndex::OpenForWrite(path);
    FAIL() << "the migration must fail on a clashing table";
  } catch (const StorageError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("migration to schema version 1"), std::string::npos) << message;
    EXPECT_NE(message.find("CREATE TABLE"), std::string::npos) << message;
  }
  // The migration's transaction was rolled back: no sweeps table, still version 0.
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'sweeps'), "
                               "(SELECT user_version FROM pragma_user_version)",
                               -1, &statement, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 0);
  EXPECT_EQ(sqlite3_column_int(statement, 1), 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

// FNV-1a 64 of `text` (the pin below; any stable hash would do).
uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

// Migration 1 is filled in from protocol/ (statuses, result keys); whatever those constants
// become, the SQL of a shipped migration must stay byte for byte what it was.
TEST(RunIndexSchemaTest, MigrationOneIsTheSqlThatShipped) {
  EXPECT_EQ(Fnv1a64(Migrations().at(0).sql), 0x9a3cc1480477b67full) << Migrations().at(0).sql;
  EXPECT_EQ(Migrations().at(0).sql, SchemaV1());
}

TEST(RunIndexSchemaTest, StatusColumnTakesExactlyTheProtocolStatuses) {
  ScratchDir dir;
  auto index = RunIndex::OpenForWrite(dir.File("runs.sqlite"));
  index->UpsertSweep({"s", "", "", "", "{}"});
  for (protocol::TrialStatus status : protocol::kAllTrialStatuses) {
    const std::string id(protocol::ToString(status));
    index->PlanTrial({id, "s", id, "{}", {}});
    index->Query("UPDATE trials SET status = '" + id + "' WHERE id = '" + id + "'");
    EXPECT_EQ(index->Trial(id)->status, status);
  }
  EXPECT_THROW(index->Query("UPDATE trials SET status = 'finished'"), StorageError);
}

}  // namespace
}  // namespace qlsweep::storage
