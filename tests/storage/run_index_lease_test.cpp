// Leases of the run index (schema version 2): migrating a version-1 database, recording a farm
// worker's lease and heartbeats, and MarkRunning clearing the previous attempt's lease.
#include <sqlite3.h>

#include <optional>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "storage/schema_migrations.h"
#include "tests/support/protocol_printers.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using protocol::TrialStatus;
using testing::ScratchDir;

std::optional<std::string> Value(const RunIndex& index, const std::string& sql) {
  const auto rows = index.Query(sql).rows;
  EXPECT_EQ(rows.size(), 1u) << sql;
  return rows.empty() ? std::nullopt : rows[0].at(0);
}

std::string Lease(const RunIndex& index, const std::string& id) {
  const auto rows = index
                        .Query(
                            "SELECT worker_rank, worker_host, worker_pid, heartbeat_at IS NOT "
                            "NULL FROM trials WHERE id = '" +
                            id + "'")
                        .rows;
  std::string out;
  for (const auto& cell : rows.at(0)) {
    if (!out.empty()) out += '|';
    out += cell.value_or("NULL");
  }
  return out;
}

TEST(RunIndexLeaseTest, VersionOneDatabaseGainsTheLeaseColumnsAndKeepsItsTrials) {
  ScratchDir dir;
  const std::string path = dir.File("v1.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string v1 = SchemaV1() +
                         "INSERT INTO sweeps (name) VALUES ('s');"
                         "INSERT INTO trials (id, sweep, name, config_json, status) "
                         "VALUES ('t1', 's', 'one', '{}', 'done');"
                         "PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto index = RunIndex::OpenForWrite(path);
  EXPECT_EQ(index->SchemaVersion(), LatestSchemaVersion());  // 2 (leases), then the later ones
  EXPECT_EQ(index->Trial("t1")->status, TrialStatus::kDone);
  EXPECT_EQ(Lease(*index, "t1"), "NULL|NULL|NULL|0");
}

TEST(RunIndexLeaseTest, LeaseAndHeartbeatOfARunningTrialClearedByTheNextAttempt) {
  ScratchDir dir;
  auto index = RunIndex::OpenForWrite(dir.File("runs.sqlite"));
  index->UpsertSweep({"s", "", "", "", "{}"});
  index->PlanTrial({"t1", "s", "one", "{}", {}});
  index->MarkRunning("t1", "node7", "1");
  index->RecordLease("t1", {3, "node7", 4242});
  EXPECT_EQ(Lease(*index, "t1"), "3|node7|4242|1");

  index->Query("UPDATE trials SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = 't1'");
  index->Heartbeat("t1");
  EXPECT_GT(*Value(*index, "SELECT heartbeat_at FROM trials WHERE id = 't1'"), "2001");

  // A finished trial keeps its last lease as the record of where it ran; heartbeats stop.
  index->RecordOutcome({"t1", TrialStatus::kDone, 0, 0, "", "", "", 1.0, {}});
  index->Query("UPDATE trials SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = 't1'");
  index->Heartbeat("t1");
  EXPECT_EQ(*Value(*index, "SELECT heartbeat_at FROM trials WHERE id = 't1'"),
            "2000-01-01T00:00:00.000Z");
  EXPECT_EQ(Lease(*index, "t1"), "3|node7|4242|1");

  index->MarkRunning("t1", "node8", "");  // the next attempt, by the plain coordinator
  EXPECT_EQ(Lease(*index, "t1"), "NULL|NULL|NULL|0");
  EXPECT_THROW(index->RecordLease("nope", {1, "h", 1}), StorageError);
}

}  // namespace
}  // namespace qlsweep::storage
