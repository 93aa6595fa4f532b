// RAII wrappers over the SQLite C API: statements, transactions and error messages.
#include "storage/sqlite_statement.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "storage/run_index.h"

namespace qlsweep::storage {

void ThrowSqlite(sqlite3* db, const std::string& path, std::string_view what,
                 std::string_view sql) {
  std::string message = "run index " + path + ": " + std::string(what);
  if (db != nullptr) {
    message += ": ";
    message += sqlite3_errmsg(db);
    if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_READONLY &&
        sqlite3_db_readonly(db, "main") == 1) {
      message += " (the database is opened read-only)";
    }
    // SQLite says "disk I/O error" for any failed write, and the system's error number is often
    // gone by the time it reports (a rollback made other calls): say what a failed write means.
    const int extended = sqlite3_extended_errcode(db);
    const int os_error = sqlite3_system_errno(db);
    const bool write_failed = (extended & 0xff) == SQLITE_FULL || extended == SQLITE_IOERR_WRITE ||
                              extended == SQLITE_IOERR_FSYNC || extended == SQLITE_IOERR_TRUNCATE ||
                              extended == SQLITE_IOERR_SHMSIZE;
    if (write_failed) {
      message += " (";
      if (os_error != 0) message += std::string(std::strerror(os_error)) + ": ";
      message += "a write failed; the disk may be full or a file size limit reached)";
    } else if ((extended & 0xff) == SQLITE_IOERR) {
      message += " (SQLite I/O error code " + std::to_string(extended) +
                 (os_error != 0 ? std::string(": ") + std::strerror(os_error) : "") + ")";
    }
  }
  if (!sql.empty()) {
    message += " [in: " + std::string(sql) + "]";
  }
  throw StorageError(message);
}

void ExecSql(sqlite3* db, const std::string& path, const std::string& sql) {
  const char* tail = sql.c_str();
  const char* const end = tail + sql.size();
  while (tail < end) {
    sqlite3_stmt* statement = nullptr;
    const char* next = nullptr;
    if (sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &statement, &next) !=
        SQLITE_OK) {
      ThrowSqlite(db, path, "cannot prepare statement", std::string_view(tail, end - tail));
    }
    tail = next;
    if (statement == nullptr) continue;  // only whitespace or a comment was left
    const std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> owner(statement,
                                                                           sqlite3_finalize);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) ThrowSqlite(db, path, "statement failed", sqlite3_sql(statement));
  }
}

Statement::Statement(sqlite3* db, const std::string& path, std::string sql)
    : db_(db), path_(path), sql_(std::move(sql)) {
  if (sqlite3_prepare_v2(db_, sql_.c_str(), static_cast<int>(sql_.size()), &stmt_, nullptr) !=
      SQLITE_OK) {
    ThrowSqlite(db_, path_, "cannot prepare statement", sql_);
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    ThrowSqlite(db_, path_, "cannot bind parameter " + std::to_string(index), sql_);
  }
  return *this;
}

Statement& Statement::Bind(int index, protocol::TrialStatus status) {
  return Bind(index, protocol::ToString(status));
}

Statement& Statement::Bind(int index, double value) {
  if (std::isnan(value)) return BindNull(index);
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) {
    ThrowSqlite(db_, path_, "cannot bind parameter " + std::to_string(index), sql_);
  }
  return *this;
}

Statement& Statement::Bind(int index, int value) {
  if (sqlite3_bind_int(stmt_, index, value) != SQLITE_OK) {
    ThrowSqlite(db_, path_, "cannot bind parameter " + std::to_string(index), sql_);
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) {
    ThrowSqlite(db_, path_, "cannot bind parameter " + std::to_string(index), sql_);
  }
  return *this;
}

Statement& Statement::BindTextOrNull(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  ThrowSqlite(db_, path_, "statement failed", sql_);
}

void Statement::Run() {
  while (Step()) {
  }
  Reset();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

protocol::TrialStatus Statement::Status(int column) const {
  const std::string text = Text(column);
  const auto status = protocol::ParseTrialStatus(text);
  if (!status) {
    throw StorageError("run index " + path_ + ": unknown trial status '" + text + "' in: " + sql_);
  }
  return *status;
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

double Statement::Double(int column) const {
  if (IsNull(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, column);
}

int Statement::Int(int column) const { return sqlite3_column_int(stmt_, column); }

Transaction::Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
  ExecSql(db_, path_, "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  ExecSql(db_, path_, "COMMIT");
  open_ = false;
}

}  // namespace qlsweep::storage
