// RunIndex: opening the database (pragmas, migrations, read-only mode) and free-form queries.
#include "storage/run_index.h"

#include <sqlite3.h>

#include "storage/schema_migrations.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

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
  if (ReadSchemaVersion(db.get(), path) == 0) {
    throw StorageError("run index " + path +
                       ": not a qlsweep run index (schema version 0); open it for writing first");
  }
  return std::unique_ptr<RunIndex>(new RunIndex(db.release(), path, /*read_only=*/true));
}

RunIndex::RunIndex(sqlite3* db, std::string path, bool read_only)
    : db_(db), path_(std::move(path)), read_only_(read_only) {}

RunIndex::~RunIndex() { sqlite3_close_v2(db_); }

int RunIndex::SchemaVersion() const { return ReadSchemaVersion(db_, path_); }

QueryResult RunIndex::Query(const std::string& sql) const {
  QueryResult result;
  const char* tail = sql.c_str();
  const char* const end = tail + sql.size();
  while (tail < end) {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    if (sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &raw, &next) != SQLITE_OK) {
      ThrowSqlite(db_, path_, "cannot prepare query", sql);
    }
    std::unique_ptr<sqlite3_stmt, StatementFinalizer> statement(raw);
    tail = next;
    if (raw == nullptr) continue;  // only whitespace or a comment was left
    if (read_only_ && sqlite3_stmt_readonly(raw) == 0) {
      throw StorageError(
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
    if (rc != SQLITE_DONE) ThrowSqlite(db_, path_, "query failed", sqlite3_sql(raw));
  }
  return result;
}

}  // namespace qlsweep::storage
