// e2e tier, bad input on the command line of the real binary: exit 2 with a message that says
// what is wrong, quickly, and nothing written where it should not be (no torch needed).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "storage/run_index.h"
#include "tests/analysis/sweep_fixture.h"
#include "tests/e2e/e2e_support.h"

namespace {

namespace fs = std::filesystem;
using qlsweep::e2e::RunQlsweep;
using BadInput = qlsweep::e2e::E2eTest;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(BadInput, CommandLineParseErrorsExitTwo) {
  for (const std::string args :
       {"--no-such-option", "run --no-such-option", "query", "table --db", "nosuchcommand",
        "run a.yaml b.yaml", "run --timeout", "query --db x.db --timeout abc 'SELECT 1'"}) {
    const auto result = RunQlsweep(args + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << args << ": " << result.out;
  }
  EXPECT_EQ(RunQlsweep("--help").exit_code, 0);
  EXPECT_EQ(RunQlsweep("run --help").exit_code, 0);
  EXPECT_EQ(RunQlsweep("--version").exit_code, 0);
}

TEST_F(BadInput, TimeoutsMustBeFinitePositiveSeconds) {
  for (const std::string value :
       {"-1", "0", "-0", "nan", "NaN", "inf", "-inf", "1e999", "5s", ""}) {
    for (const std::string& command : {"run --db " + db_, "query 'SELECT 1' --db " + db_}) {
      const auto result = RunQlsweep(command + " --timeout '" + value + "' 2>&1");
      EXPECT_EQ(result.exit_code, 2) << command << " --timeout " << value << ": " << result.out;
      EXPECT_TRUE(Has(result.out, "--timeout")) << result.out;
    }
  }
  EXPECT_FALSE(fs::exists(db_));  // refused before anything was opened
}

TEST_F(BadInput, DbMustBeARegularFileOutsideDev) {
  const std::string folder = (dir_ / "folder").string();
  fs::create_directories(folder);
  const std::string file = (dir_ / "file").string();
  std::ofstream(file) << "x";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/dev/null", "is under /dev"},
      {"/dev/shm/qlsweep-e2e-runs.db", "is under /dev"},
      {"/proc/self/status", "is under /proc"},
      {folder, "is a directory"},
      {file + "/runs.db", "a folder on the way is a file"},
  };
  for (const auto& [db, why] : cases) {
    for (const std::string command : {"run", "table", "runs", "report", "query 'SELECT 1'"}) {
      const auto result = RunQlsweep(command + " --db " + db + " 2>&1");
      EXPECT_EQ(result.exit_code, 2) << command << " --db " << db << ": " << result.out;
      EXPECT_TRUE(Has(result.out, "--db " + db + ": " + why)) << command << ": " << result.out;
    }
  }
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));  // still the device, and nothing was created beside it
  for (const char* beside : {"/dev/null-wal", "/dev/null-shm", "/dev/null.lock", "/dev/series"}) {
    EXPECT_FALSE(fs::exists(beside)) << beside;
  }
  EXPECT_FALSE(fs::exists("/dev/shm/qlsweep-e2e-runs.db"));
  EXPECT_TRUE(fs::is_empty(folder));
  const auto missing = RunQlsweep("table --db " + (dir_ / "none.db").string() + " 2>&1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(Has(missing.out, "no run index here")) << missing.out;
}

TEST_F(BadInput, SweepFilesThatAreNotOneSmallUtf8DocumentAreRefused) {
  const std::string folder = (dir_ / "sweep.yaml").string();
  fs::create_directories(folder);
  auto result = RunQlsweep("plan " + folder + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, folder + ": is a directory, not a file")) << result.out;

  std::string laughs = "name: laughs\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) laughs += (k ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  result = RunQlsweep("plan " + WriteSweep(laughs, "laughs.yaml") + " 2>&1");
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(Has(result.out, "expands to more than 100000 values")) << result.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));

  result = RunQlsweep("plan " + WriteSweep("name: a\n---\nname: b\n", "two.yaml") + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "two.yaml:2: a second YAML document starts here")) << result.out;

  result = RunQlsweep("plan " + WriteSweep("name: a\ndescription: \xff\n", "bytes.yaml") + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "bytes.yaml:2: invalid UTF-8 (byte 0xff at line 2, column 14)"))
      << result.out;

  const std::string deep =
      "name: a\nbase: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  result = RunQlsweep("plan " + WriteSweep(deep, "deep.yaml") + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "deep.yaml:2: nesting too deep: more than 100 levels")) << result.out;

  result = RunQlsweep(
      "plan " +
      WriteSweep("name: both\nbase: {model.preset: tiny, model.weights: /x.gguf}\n", "both.yaml") +
      " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "both.yaml:2: model.preset: not allowed with model.weights"))
      << result.out;
  result = RunQlsweep("estimate " + folder + " 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "is a directory, not a file")) << result.out;
}

// `query` on a recorded run index: reads pass, everything that changes something is refused.
class QueryGuard : public qlsweep::e2e::E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    db_ = qlsweep::analysis::testing::WriteFixtureRuns((dir_ / "runs").string());
  }
  qlsweep::e2e::CommandResult Query(const std::string& sql, const std::string& options = "") {
    return RunQlsweep("query --db " + db_ + " " + options + " \"" + sql + "\" 2>&1");
  }
  std::string Fingerprint() {
    auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
    std::string out;
    for (const char* sql : {"PRAGMA user_version", "SELECT count(*) FROM trials",
                            "SELECT group_concat(name) FROM sqlite_master",
                            "SELECT group_concat(status) FROM trials"}) {
      out += index->Query(sql).rows.at(0).at(0).value_or("NULL") + "|";
    }
    return out;
  }
};

TEST_F(QueryGuard, WritesAttachAndStateChangingPragmasAreRefused) {
  const std::string before = Fingerprint();
  const std::string other = (dir_ / "other.db").string();
  { qlsweep::storage::RunIndex::OpenForWrite(other); }  // an existing database to attach
  for (const std::string& sql :
       std::vector<std::string>{"PRAGMA writable_schema=ON",
                                "PRAGMA writable_schema = 1; UPDATE sqlite_master SET sql=''",
                                "ATTACH '" + other + "' AS o",
                                "ATTACH ':memory:' AS m",
                                "DETACH main",
                                "PRAGMA journal_mode=DELETE",
                                "PRAGMA user_version=5",
                                "PRAGMA query_only=0",
                                "PRAGMA foreign_keys=OFF",
                                "INSERT INTO sweeps (name) VALUES ('x')",
                                "DELETE FROM trials",
                                "UPDATE trials SET status='done'",
                                "DROP TABLE results",
                                "CREATE TEMP TABLE t (x)",
                                "CREATE TEMP VIEW v AS SELECT 1",
                                "BEGIN",
                                "SAVEPOINT s",
                                "VACUUM",
                                "REINDEX",
                                "ANALYZE",
                                "SELECT 1; DELETE FROM params"}) {
    const auto result = Query(sql);
    EXPECT_EQ(result.exit_code, 2) << sql << ": " << result.out;
    EXPECT_TRUE(Has(result.out, "opened read-only; refusing")) << sql << ": " << result.out;
    EXPECT_TRUE(Has(result.out, db_)) << result.out;
  }
  EXPECT_EQ(Fingerprint(), before);
  for (const std::string sql :
       {"SELECT count(*) FROM trial_summary", "PRAGMA table_info(trials)", "PRAGMA user_version",
        "PRAGMA integrity_check", "PRAGMA index_list(params)",
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) "
        "SELECT sum(x) FROM n"}) {
    const auto result = Query(sql);
    EXPECT_EQ(result.exit_code, 0) << sql << ": " << result.out;
  }
  EXPECT_TRUE(Has(Query("SELECT 1 + ").out, "cannot prepare query"));
  EXPECT_EQ(Query("SELECT 1 + ").exit_code, 2);
}

TEST_F(QueryGuard, UnboundedQueriesStopAtTheTimeOrRowLimit) {
  const std::string forever =
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
  auto start = std::chrono::steady_clock::now();
  auto result = Query(forever, "--timeout 1");
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(Has(result.out, "the query was stopped after 1 s, its time limit")) << result.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));

  start = std::chrono::steady_clock::now();
  result = Query("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.out, "returns more than 1000000 rows")) << result.out.substr(0, 500);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12));
}

}  // namespace
