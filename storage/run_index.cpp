// RunIndex: opening the database (pragmas, migrations, read-only mode) and free-form queries.
#include "storage/run_index.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>

#include "storage/read_only_guard.h"
#include "storage/schema_migrations.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

// The longest string or blob a read-only connection may build (randomblob(1e9) and the like).
constexpr int kReadOnlyMaxValueBytes = 256 << 20;

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

SqlitePtr OpenConnection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqlitePtr db(raw);
  if (rc != SQLITE_OK) ThrowSqlite(db.get(), path, "cannot open");
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

// Runs a PRAGMA that answers with one text value and returns it.
std::string PragmaValue(sqlite3* db, const std::string& path, const std::string& pragma) {
  Statement statement(db, path, pragma);
  return statement.Step() ? statement.Text(0) : std::string();
}

}  // namespace

std::unique_ptr<RunIndex> RunIndex::OpenForWrite(const std::string& path) {
  SqlitePtr db = OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ExecSql(db.get(), path, "PRAGMA busy_timeout = 10000");
  if (const std::string mode = PragmaValue(db.get(), path, "PRAGMA journal_mode = WAL");
      mode != "wal") {
    throw StorageError("run index " + path + ": cannot switch to WAL (journal_mode is '" + mode +
                       "'); keep the database on a local filesystem");
  }
  ExecSql(db.get(), path, "PRAGMA synchronous = NORMAL");
  ExecSql(db.get(), path, "PRAGMA foreign_keys = ON");
  MigrateToLatest(db.get(), path);
  return std::unique_ptr<RunIndex>(new RunIndex(db.release(), path, /*read_only=*/false));
}

std::unique_ptr<RunIndex> RunIndex::OpenReadOnly(const std::string& path) {
  SqlitePtr db = OpenConnection(path, SQLITE_OPEN_READONLY);
  ExecSql(db.get(), path, "PRAGMA busy_timeout = 10000");
  ExecSql(db.get(), path, "PRAGMA query_only = 1");
  auto guard = std::make_unique<ReadOnlyGuard>();
  InstallReadOnlyGuard(db.get(), guard.get());
  sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, kReadOnlyMaxValueBytes);
  if (ReadSchemaVersion(db.get(), path) == 0) {
    throw StorageError("run index " + path +
                       ": not a qlsweep run index (schema version 0); open it for writing first");
  }
  auto index = std::unique_ptr<RunIndex>(new RunIndex(db.release(), path, /*read_only=*/true));
  index->guard_ = std::move(guard);
  return index;
}

RunIndex::RunIndex(sqlite3* db, std::string path, bool read_only)
    : db_(db), path_(std::move(path)), read_only_(read_only) {}

RunIndex::~RunIndex() { sqlite3_close_v2(db_); }  // before guard_, which the authorizer uses

int RunIndex::SchemaVersion() const { return ReadSchemaVersion(db_, path_); }

QueryResult RunIndex::Query(const std::string& sql, const QueryLimits& limits) const {
  // The time limit: SQLite calls the handler every kProgressOps virtual machine steps, and a
  // non-zero answer interrupts the statement (SQLITE_INTERRUPT).
  struct Deadline {
    std::chrono::steady_clock::time_point at;
  } deadline{std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(limits.timeout_s))};
  constexpr int kProgressOps = 10000;
  if (limits.timeout_s > 0) {
    sqlite3_progress_handler(
        db_, kProgressOps,
        [](void* data) -> int {
          return std::chrono::steady_clock::now() > static_cast<Deadline*>(data)->at ? 1 : 0;
        },
        &deadline);
  }
  struct ClearHandler {
    sqlite3* db;
    ~ClearHandler() { sqlite3_progress_handler(db, 0, nullptr, nullptr); }
  } clear_handler{db_};

  QueryResult result;
  const char* tail = sql.c_str();
  const char* const end = tail + sql.size();
  while (tail < end) {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    if (guard_) guard_->denied.clear();
    if (sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &raw, &next) != SQLITE_OK) {
      const std::string statement(tail, static_cast<size_t>(end - tail));
      if (guard_ && !guard_->denied.empty()) {
        throw QueryError("run index " + path_ + " is opened read-only; refusing " + guard_->denied +
                         " [in: " + statement + "]");
      }
      try {
        ThrowSqlite(db_, path_, "cannot prepare query", statement);
      } catch (const StorageError& e) {
        throw QueryError(e.what());
      }
    }
    std::unique_ptr<sqlite3_stmt, StatementFinalizer> statement(raw);
    tail = next;
    if (raw == nullptr) continue;  // only whitespace or a comment was left
    if (read_only_ && sqlite3_stmt_readonly(raw) == 0) {
      throw QueryError(
          "run index " + path_ +
          " is opened read-only; refusing a statement that writes [in: " + sqlite3_sql(raw) + "]");
    }
    const int columns = sqlite3_column_count(raw);
    if (columns > 0) {
      result = QueryResult();
      for (int c = 0; c < columns; ++c) result.columns.emplace_back(sqlite3_column_name(raw, c));
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      if (limits.max_rows > 0 && result.rows.size() >= limits.max_rows) {
        throw QueryError("run index " + path_ + ": the query returns more than " +
                         std::to_string(limits.max_rows) +
                         " rows, the limit; add a LIMIT or aggregate [in: " + sqlite3_sql(raw) +
                         "]");
      }
      auto& row = result.rows.emplace_back();
      auto& numeric = result.numeric.emplace_back();
      for (int c = 0; c < columns; ++c) {
        const int type = sqlite3_column_type(raw, c);  // before the text conversion below
        numeric.push_back(type == SQLITE_INTEGER || type == SQLITE_FLOAT);
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
        if (text == nullptr) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(raw, c))));
        }
      }
    }
    if (rc == SQLITE_INTERRUPT && limits.timeout_s > 0) {
      char seconds[32];
      std::snprintf(seconds, sizeof(seconds), "%g", limits.timeout_s);
      throw QueryError(
          "run index " + path_ + ": the query was stopped after " + seconds +
          " s, its time limit (an unbounded recursive query?) [in: " + sqlite3_sql(raw) + "]");
    }
    if (rc != SQLITE_DONE) {
      try {
        ThrowSqlite(db_, path_, "query failed", sqlite3_sql(raw));
      } catch (const StorageError& e) {
        const int code = sqlite3_extended_errcode(db_) & 0xff;
        if (code == SQLITE_ERROR || code == SQLITE_TOOBIG || code == SQLITE_RANGE ||
            code == SQLITE_MISMATCH || code == SQLITE_CONSTRAINT) {
          throw QueryError(e.what());  // the SQL's fault (e.g. a function's bad argument)
        }
        throw;
      }
    }
  }
  return result;
}

}  // namespace qlsweep::storage
