// RAII wrappers over the SQLite C API (statement, transaction) whose errors name the file and the
// SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "protocol/trial_status.h"

namespace qlsweep::storage {

// Throws StorageError: "run index <path>: <what>: <sqlite message> [in: <sql>]".
[[noreturn]] void ThrowSqlite(sqlite3* db, const std::string& path, std::string_view what,
                              std::string_view sql = {});

// Runs one or more statements, discarding any rows; an error names the failing statement.
void ExecSql(sqlite3* db, const std::string& path, const std::string& sql);

// A prepared statement; parameters are bound by 1-based index. Not copyable.
class Statement {
 public:
  // Prepares `sql` (a single statement). Throws StorageError.
  Statement(sqlite3* db, const std::string& path, std::string sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, double value);  // NaN is stored as NULL (SQLite has no NaN)
  Statement& Bind(int index, int value);
  Statement& Bind(int index, protocol::TrialStatus status);  // as its text (trials.status)
  Statement& BindNull(int index);
  // Binds NULL for an empty string, the text otherwise.
  Statement& BindTextOrNull(int index, std::string_view text);

  // Advances to the next row; false when done. Throws StorageError.
  bool Step();
  // Steps until done (for statements without rows); then resets so it can be bound again.
  void Run();
  // Clears the bindings and rewinds.
  void Reset();

  bool IsNull(int column) const;
  std::string Text(int column) const;  // "" for NULL
  std::optional<std::string> OptionalText(int column) const;
  double Double(int column) const;  // NaN for NULL
  int Int(int column) const;        // 0 for NULL
  // A trials.status column; text that is no TrialStatus is a StorageError.
  protocol::TrialStatus Status(int column) const;

 private:
  sqlite3* db_;
  std::string path_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK in the destructor unless Commit() ran.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();

 private:
  sqlite3* db_;
  std::string path_;
  bool open_ = true;
};

}  // namespace qlsweep::storage
