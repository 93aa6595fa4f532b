// Tags and notes on trials (schema version 4): adding, removing, listing, and the migration of a
// version-3 run index that already holds trials.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "storage/schema_migrations.h"
#include "tests/support/expect_error.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using testing::ScratchDir;

std::unique_ptr<RunIndex> IndexWithTrial(const std::string& path) {
  auto index = RunIndex::OpenForWrite(path);
  index->UpsertSweep({"s", "s.yaml", "", "", "{}"});
  index->PlanTrial({"abc123", "s", "lora.r=8", "{}", {{"lora.r", "8"}}});
  return index;
}

TEST(TrialTagsTest, TagsAreSetOnceSortedAndRemovable) {
  ScratchDir dir;
  auto index = IndexWithTrial(dir.File("runs.db"));
  EXPECT_EQ(index->AddTags("abc123", {"baseline", "paper"}), 2);
  EXPECT_EQ(index->AddTags("abc123", {"paper", "cpu"}), 1);  // paper is there already
  EXPECT_EQ(index->Trial("abc123")->tags, (std::vector<std::string>{"baseline", "cpu", "paper"}));
  EXPECT_EQ(index->RemoveTags("abc123", {"cpu", "nope"}), 1);
  EXPECT_EQ(index->Trials("s").at(0).tags, (std::vector<std::string>{"baseline", "paper"}));
}

TEST(TrialTagsTest, NotesAccumulateInOrder) {
  ScratchDir dir;
  auto index = IndexWithTrial(dir.File("runs.db"));
  index->AddNote("abc123", "first look: loss plateaus at step 40");
  index->AddNote("abc123", "re-run with lr 1e-4");
  EXPECT_EQ(
      index->Trial("abc123")->notes,
      (std::vector<std::string>{"first look: loss plateaus at step 40", "re-run with lr 1e-4"}));
}

TEST(TrialTagsTest, UnknownTrialIsAnErrorAndWritesNothing) {
  ScratchDir dir;
  auto index = IndexWithTrial(dir.File("runs.db"));
  EXPECT_NE(testing::ErrorOf<StorageError>([&] {
              index->AddTags("nope", {"x"});
            }).find("no trial with id 'nope'"),
            std::string::npos);
  EXPECT_THROW(index->AddNote("nope", "x"), StorageError);
  EXPECT_EQ(*index->Query("SELECT count(*) FROM trial_tags").rows.at(0).at(0), "0");
  EXPECT_EQ(*index->Query("SELECT count(*) FROM trial_notes").rows.at(0).at(0), "0");
}

TEST(TrialTagsTest, ReadOnlyIndexRefusesTags) {
  ScratchDir dir;
  IndexWithTrial(dir.File("runs.db"));
  auto reader = RunIndex::OpenReadOnly(dir.File("runs.db"));
  EXPECT_THROW(reader->AddTags("abc123", {"x"}), StorageError);
}

// A run index written by the previous release (schema 3, trials recorded) gains the tag tables
// when opened for writing; its trials keep their rows and can be tagged.
TEST(TrialTagsTest, VersionThreeDatabaseMigratesAndKeepsItsTrials) {
  ScratchDir dir;
  const std::string path = dir.File("v3.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql = "BEGIN;";
  for (const Migration& m : Migrations()) {
    if (m.version <= 3) sql += m.sql;
  }
  sql +=
      "PRAGMA user_version = 3;"
      "INSERT INTO sweeps (name, file, gpu_profile, reference, spec_json) "
      "VALUES ('old', 'old.yaml', '', '', '{}');"
      "INSERT INTO trials (id, sweep, name, status, config_json) VALUES ('t1', 'old', 'lora.r=4', "
      "'done', '{}');"
      "INSERT INTO sweep_trials (sweep, trial_id, name) VALUES ('old', 't1', 'lora.r=4');"
      "COMMIT;";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_close(db);

  // Read-only, it stays at version 3 and lists its trials without tags.
  const auto old = RunIndex::OpenReadOnly(path)->Trials("old");
  ASSERT_EQ(old.size(), 1u);
  EXPECT_TRUE(old[0].tags.empty());

  auto index = RunIndex::OpenForWrite(path);
  EXPECT_EQ(index->SchemaVersion(), 4);
  EXPECT_EQ(index->AddTags("t1", {"baseline"}), 1);
  index->AddNote("t1", "kept from v3");
  const auto rows = index->Trials("old");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "lora.r=4");
  EXPECT_EQ(rows[0].status, protocol::TrialStatus::kDone);
  EXPECT_EQ(rows[0].tags, std::vector<std::string>{"baseline"});
  EXPECT_EQ(rows[0].notes, std::vector<std::string>{"kept from v3"});
}

}  // namespace
}  // namespace qlsweep::storage
