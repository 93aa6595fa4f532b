// What a read-only connection to the run index may run: an SQLite authorizer that lets reads
// through and denies every write, ATTACH/DETACH and any pragma that changes state.
#pragma once

#include <string>

struct sqlite3;

namespace qlsweep::storage {

// Why the authorizer first denied something in the statement being prepared ("ATTACH", "PRAGMA
// writable_schema = ON", ...), kept for the error message; empty when nothing was denied.
struct ReadOnlyGuard {
  std::string denied;
};

// Installs the authorizer on `db` (which must outlive nothing: `guard` must outlive `db`).
// Allowed: SELECT, reading tables and views, functions, recursive CTEs, and the pragmas that only
// report (user_version, table_info(t), integrity_check, ... without a value to set). Denied:
// everything else, so INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH, DETACH, transactions,
// savepoints and state-changing pragmas (writable_schema, journal_mode = ..., user_version = ...)
// fail at prepare time with SQLITE_AUTH.
void InstallReadOnlyGuard(sqlite3* db, ReadOnlyGuard* guard);

}  // namespace qlsweep::storage
