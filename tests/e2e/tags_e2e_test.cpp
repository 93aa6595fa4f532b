// e2e tier: `qlsweep tag` and `qlsweep note` on trials of a real run: shown by runs and compare,
// filtered by runs --tag, refused with a hint for unknown trials and bad tags, and written while
// another `run` records trials into the same run index.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::BackgroundQlsweep;
using qlsweep::e2e::CountStatus;
using qlsweep::e2e::Has;
using qlsweep::e2e::RunQlsweep;
using qlsweep::e2e::TinyCpuSweep;
using qlsweep::e2e::TrialsNow;
using qlsweep::e2e::WaitFor;
using qlsweep::protocol::TrialStatus;
using TagsEndToEnd = qlsweep::e2e::E2eTest;

TEST_F(TagsEndToEnd, TagsAndNotesAreShownFilteredAndChecked) {
  const auto sweep = WriteSweep(TinyCpuSweep("tagged", "lora.r: [2, 4]", 2));
  ASSERT_EQ(RunQlsweep("run " + sweep + " --db " + db_ + " --quiet").exit_code, 0);
  const std::string db = " --db " + db_;
  auto tag = RunQlsweep("tag lora.r=2 baseline paper-recipe" + db);
  ASSERT_EQ(tag.exit_code, 0) << tag.out;
  EXPECT_TRUE(Has(tag.out, "added 2 tag(s); tags: baseline, paper-recipe")) << tag.out;
  ASSERT_EQ(RunQlsweep("note lora.r=2 'loss still falling at the last step'" + db).exit_code, 0);
  ASSERT_EQ(RunQlsweep("note lora.r=2 're-run with 40 steps'" + db).exit_code, 0);

  auto runs = RunQlsweep("runs --tag baseline --format json" + db);
  ASSERT_EQ(runs.exit_code, 0) << runs.out;
  auto rows = nlohmann::json::parse(runs.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["name"], "lora.r=2");
  EXPECT_EQ(rows[0]["tags"], "baseline,paper-recipe");
  EXPECT_EQ(rows[0]["notes"], "loss still falling at the last step; re-run with 40 steps");
  rows = nlohmann::json::parse(RunQlsweep("runs --tag baseline --tag nope --format json" + db).out);
  EXPECT_TRUE(rows.empty());

  const auto compare = RunQlsweep("compare lora.r=2 lora.r=4 --format json" + db);
  ASSERT_EQ(compare.exit_code, 0) << compare.out;
  bool tags_row = false, notes_row = false;
  for (const auto& row : nlohmann::json::parse(compare.out)) {
    tags_row = tags_row || (row["key"] == "tags" && row.size() == 3);
    notes_row = notes_row || row["key"] == "notes";
  }
  EXPECT_TRUE(tags_row && notes_row) << compare.out;

  tag = RunQlsweep("tag lora.r=2 paper-recipe --remove" + db);
  EXPECT_TRUE(Has(tag.out, "removed 1 tag(s); tags: baseline")) << tag.out;

  struct Case {
    std::string args, message;
  };
  for (const auto& c : {
           Case{"tag lora.r=3 x", "no trial 'lora.r=3'"},
           Case{"tag lora.r=2 'two words'", "may hold only letters, digits"},
           Case{"note lora.r=2 ''", "the text is empty"},
           Case{"runs --tag 'a,b'", "--tag: tag 'a,b'"},
           Case{"tag lora.r=2", "tags is required"},
       }) {
    const auto result = RunQlsweep(c.args + db + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.out;
    EXPECT_TRUE(Has(result.out, c.message)) << c.args << "\n" << result.out;
  }
  // Nothing of that was written; the tag and both notes are there.
  const auto trial = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("tagged")[0];
  EXPECT_EQ(trial.tags, std::vector<std::string>{"baseline"});
  EXPECT_EQ(trial.notes.size(), 2u);
}

// A sweep records trials while the first one is tagged: the tag command does not take the run
// lock, its transaction waits out the coordinator's (WAL, busy timeout), and both finish.
TEST_F(TagsEndToEnd, TaggingWhileASweepRunsWorksAndLosesNothing) {
  const auto sweep = WriteSweep(TinyCpuSweep("busy", "lora.r: [2, 4, 8, 16]", 12));
  BackgroundQlsweep run({"run", sweep, "--db", db_, "--quiet"}, (dir_ / "run.log").string());
  ASSERT_TRUE(
      WaitFor([&] { return CountStatus(TrialsNow(db_, "busy"), TrialStatus::kDone) >= 1; }, 120));
  const auto first = TrialsNow(db_, "busy")[0];
  auto tag = RunQlsweep("tag " + first.id + " early --db " + db_ + " 2>&1");
  EXPECT_EQ(tag.exit_code, 0) << tag.out;
  auto note = RunQlsweep("note " + first.id + " 'tagged mid-run' --db " + db_ + " 2>&1");
  EXPECT_EQ(note.exit_code, 0) << note.out;
  // The sweep was still running: not every trial had finished when the tag was written.
  EXPECT_LT(CountStatus(TrialsNow(db_, "busy"), TrialStatus::kDone), 4);
  ASSERT_EQ(run.Wait(300), 0) << qlsweep::e2e::ReadText(dir_ / "run.log");
  const auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("busy");
  EXPECT_EQ(CountStatus(trials, TrialStatus::kDone), 4);
  EXPECT_EQ(trials[0].tags, std::vector<std::string>{"early"});
  EXPECT_EQ(trials[0].notes, std::vector<std::string>{"tagged mid-run"});
}

}  // namespace
