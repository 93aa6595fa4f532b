// Migration runner of the run index: one transaction per migration, versioned by user_version.
#include "storage/schema_migrations.h"

#include <stdexcept>
#include <utility>

#include "protocol/result_keys.h"
#include "protocol/trial_status.h"
#include "storage/run_index.h"
#include "storage/schema_v1.h"
#include "storage/schema_v2.h"
#include "storage/schema_v3.h"
#include "storage/schema_v4.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Fills @TOKEN@ placeholders of a migration template; none may be left.
std::string Fill(std::string sql,
                 const std::vector<std::pair<std::string_view, std::string>>& fills,
                 const std::string& what) {
  for (const auto& [token, value] : fills) {
    for (size_t at = sql.find(token); at != std::string::npos; at = sql.find(token, at)) {
      sql.replace(at, token.size(), value);
      at += value.size();
    }
  }
  if (sql.find('@') != std::string::npos) {
    throw std::logic_error(what + ": a placeholder is left unfilled");
  }
  return sql;
}

using Fills = std::vector<std::pair<std::string_view, std::string>>;

// Placeholders of both versions: the status of finished trials and every result key the views
// read, quoted; a template may leave some of them unused.
Fills CommonFills() {
  namespace result = protocol::result;
  return {
      {"@PLANNED@", Quoted(protocol::ToString(protocol::TrialStatus::kPlanned))},
      {"@DONE@", Quoted(protocol::ToString(protocol::TrialStatus::kDone))},
      {"@kPeakReservedBytes@", Quoted(result::kPeakReservedBytes)},
      {"@kDevicePeakBytes@", Quoted(result::kDevicePeakBytes)},
      {"@kTokensPerS@", Quoted(result::kTokensPerS)},
      {"@kFinalEvalLoss@", Quoted(result::kFinalEvalLoss)},
      {"@kPerplexity@", Quoted(result::kPerplexity)},
      {"@kBaseEvalLoss@", Quoted(result::kBaseEvalLoss)},
  };
}

}  // namespace

std::string SchemaV1() {
  std::string statuses;
  for (protocol::TrialStatus s : protocol::kAllTrialStatuses) {
    statuses += (statuses.empty() ? "" : ", ") + Quoted(protocol::ToString(s));
  }
  Fills fills = CommonFills();
  fills.emplace_back("@STATUSES@", statuses);
  return Fill(kSchemaV1Template, fills, "schema v1");
}

std::string SchemaV3() { return Fill(kSchemaV3Template, CommonFills(), "schema v3"); }

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "initial schema: sweeps, trials, sweep_trials, params, results, environment, trial_summary",
       SchemaV1()},
      {2, "leases: trials.worker_rank, worker_host, worker_pid, heartbeat_at (the MPI farm)",
       kSchemaV2Leases},
      {3, "trial_summary: gpu_profile, base_eval_loss and quality columns", SchemaV3()},
      {4, "trial_tags and trial_notes: users' tags and notes on trials", kSchemaV4Tags},
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
