// The run index's schema history: an ordered list of migrations keyed by PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

struct sqlite3;

namespace qlsweep::storage {

struct Migration {
  int version;              // user_version after this migration; 1, 2, 3, ... without gaps
  std::string description;  // one line, for error messages and docs
  std::string sql;          // statements run inside the migration's transaction
};

// The SQL of migration 1: kSchemaV1Template (schema_v1.h) with the protocol's statuses and result
// keys filled in.
std::string SchemaV1();

// The SQL of migration 3: kSchemaV3Template (schema_v3.h), filled in the same way. (Migration
// 2 is kSchemaV2Leases, schema_v2.h, and 4 kSchemaV4Tags, schema_v4.h: plain SQL.)
std::string SchemaV3();

// All migrations, oldest first. Append only: never edit a migration that has shipped.
const std::vector<Migration>& Migrations();

// The schema version a fully migrated database has (the last migration's version).
int LatestSchemaVersion();

// Reads PRAGMA user_version. Throws StorageError.
int ReadSchemaVersion(sqlite3* db, const std::string& path);

// Applies every migration newer than the database's user_version, each in its own
// BEGIN IMMEDIATE transaction that also sets user_version. A database newer than this build
// is refused. Throws StorageError naming the file, the migration and the failing SQL.
void MigrateToLatest(sqlite3* db, const std::string& path);

}  // namespace qlsweep::storage
