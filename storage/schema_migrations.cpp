// Migration runner of the run index: one transaction per migration, versioned by user_version.
#include "storage/schema_migrations.h"

#include "storage/run_index.h"
#include "storage/schema_v1.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "initial schema: sweeps, trials, sweep_trials, params, results, environment, trial_summary",
       kSchemaV1},
  };
  return migrations;
}

int LatestSchemaVersion() { return Migrations().back().version; }

int ReadSchemaVersion(sqlite3* db, const std::string& path) {
  Statement statement(db, path, "PRAGMA user_version");
  if (!statement.Step()) ThrowSqlite(db, path, "PRAGMA user_version returned no row");
  return statement.Int(0);
}

void MigrateToLatest(sqlite3* db, const std::string& path) {
  const int latest = LatestSchemaVersion();
  if (const int found = ReadSchemaVersion(db, path); found > latest) {
    throw StorageError("run index " + path + ": schema version " + std::to_string(found) +
                       " is newer than this build of qlsweep supports (" + std::to_string(latest) +
                       ")");
  }
  for (const Migration& migration : Migrations()) {
    if (ReadSchemaVersion(db, path) >= migration.version) continue;
    Transaction transaction(db, path);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    if (ReadSchemaVersion(db, path) >= migration.version) continue;
    try {
      ExecSql(db, path, migration.sql);
      ExecSql(db, path, "PRAGMA user_version = " + std::to_string(migration.version));
    } catch (const StorageError& error) {
      throw StorageError("migration to schema version " + std::to_string(migration.version) + " (" +
                         migration.description + ") failed: " + error.what());
    }
    transaction.Commit();
  }
}

}  // namespace qlsweep::storage
