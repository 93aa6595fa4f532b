// RunIndex writes of users' tags and notes on trials (schema version 4, storage/schema_v4.h).
#include "storage/run_index.h"
#include "storage/sqlite_statement.h"

namespace qlsweep::storage {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

void RequireTrial(sqlite3* db, const std::string& path, const std::string& id) {
  Statement exists(db, path, "SELECT 1 FROM trials WHERE id = ?1");
  exists.Bind(1, id);
  if (!exists.Step()) throw StorageError("run index " + path + ": no trial with id '" + id + "'");
}

}  // namespace

int RunIndex::AddTags(const std::string& id, const std::vector<std::string>& tags) {
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, id);
  Statement insert(db_, path_,
                   std::string("INSERT OR IGNORE INTO trial_tags (trial_id, tag, created_at) "
                               "VALUES (?1, ?2, ") +
                       kNow + ")");
  int added = 0;
  for (const auto& tag : tags) {
    insert.Bind(1, id).Bind(2, tag);
    insert.Run();
    added += sqlite3_changes(db_);
  }
  transaction.Commit();
  return added;
}

int RunIndex::RemoveTags(const std::string& id, const std::vector<std::string>& tags) {
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, id);
  Statement remove(db_, path_, "DELETE FROM trial_tags WHERE trial_id = ?1 AND tag = ?2");
  int removed = 0;
  for (const auto& tag : tags) {
    remove.Bind(1, id).Bind(2, tag);
    remove.Run();
    removed += sqlite3_changes(db_);
  }
  transaction.Commit();
  return removed;
}

void RunIndex::AddNote(const std::string& id, const std::string& note) {
  Transaction transaction(db_, path_);
  RequireTrial(db_, path_, id);
  Statement insert(
      db_, path_,
      std::string("INSERT INTO trial_notes (trial_id, note, created_at) VALUES (?1, ?2, ") + kNow +
          ")");
  insert.Bind(1, id).Bind(2, note);
  insert.Run();
  transaction.Commit();
}

}  // namespace qlsweep::storage
