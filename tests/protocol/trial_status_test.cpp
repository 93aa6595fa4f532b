// The trial protocol's statuses: text form, parsing, which end an attempt, which run again.
#include "protocol/trial_status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "protocol/exit_codes.h"
#include "tests/support/protocol_printers.h"

namespace qlsweep::protocol {
namespace {

TEST(TrialStatus, TextRoundTripsAndIsUnique) {
  std::set<std::string_view> texts;
  for (TrialStatus status : kAllTrialStatuses) {
    const std::string_view text = ToString(status);
    EXPECT_NE(text, "unknown");
    EXPECT_TRUE(texts.insert(text).second) << text << " twice";
    EXPECT_EQ(ParseTrialStatus(text), status) << text;
  }
  for (std::string_view bad : {"", "finished", "Done", "done ", "unknown"}) {
    EXPECT_EQ(ParseTrialStatus(bad), std::nullopt) << "'" << bad << "'";
  }
}

// The stored text is the run index's wire format (docs/records.md): pinned here.
TEST(TrialStatus, NamesAreTheDocumentedOnes) {
  EXPECT_EQ(StatusNames(), "planned, running, done, oom, failed, killed, timeout");
  EXPECT_EQ(StatusNames(IsFinal), "done, oom, failed, killed, timeout");
}

TEST(TrialStatus, WhichStatusesRunAgain) {
  struct Row {
    TrialStatus status;
    bool is_final, runs_again, runs_again_with_retry_failed;
  };
  const Row rows[] = {
      {TrialStatus::kPlanned, false, true, true}, {TrialStatus::kRunning, false, false, false},
      {TrialStatus::kDone, true, false, false},   {TrialStatus::kOom, true, false, true},
      {TrialStatus::kFailed, true, false, true},  {TrialStatus::kKilled, true, true, true},
      {TrialStatus::kTimeout, true, false, true},
  };
  ASSERT_EQ(std::size(rows), kAllTrialStatuses.size());
  for (const Row& row : rows) {
    SCOPED_TRACE(ToString(row.status));
    EXPECT_EQ(IsFinal(row.status), row.is_final);
    EXPECT_EQ(RunsAgain(row.status, false), row.runs_again);
    EXPECT_EQ(RunsAgain(row.status, true), row.runs_again_with_retry_failed);
  }
}

TEST(TrialExit, CodesAreTheDocumentedOnes) {
  EXPECT_EQ(kExitDone, 0);
  EXPECT_EQ(kExitFailed, 1);
  EXPECT_EQ(kExitConfig, 2);
  EXPECT_EQ(kExitOom, 3);
}

}  // namespace
}  // namespace qlsweep::protocol
