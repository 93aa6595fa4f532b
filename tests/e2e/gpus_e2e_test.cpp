// e2e tier: `qlsweep run --gpus 0,1` runs two trials at once with the results of a sequential run,
// records each trial's GPU slot and environment, and keeps its progress lines attributable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/protocol_printers.h"

namespace {

using qlsweep::protocol::TrialStatus;

using qlsweep::e2e::RunQlsweep;
using SeveralGpus = qlsweep::e2e::E2eTest;

const std::string kSweep = qlsweep::e2e::TinyCpuSweep("gpus", "lora.r: [2, 4]");

std::map<std::string, std::string> Environment(const qlsweep::storage::RunIndex& index,
                                               const std::string& id) {
  std::map<std::string, std::string> env;
  for (const auto& row :
       index.Query("SELECT key, value FROM environment WHERE trial_id = '" + id + "'").rows) {
    env[*row[0]] = *row[1];
  }
  return env;
}

TEST_F(SeveralGpus, ParallelTrialsOverlapAndMatchASequentialRun) {
  // Two CPU trials share this machine's cores; one thread each keeps them from thrashing.
  // (CPU results do not depend on the thread count here; both runs use the same one anyway.)
  setenv("OMP_NUM_THREADS", "1", 1);
  unsetenv("CUDA_VISIBLE_DEVICES");  // the default: one trial at a time
  const auto sweep = WriteSweep(kSweep);
  const auto parallel_db = (dir_ / "parallel" / "runs.db").string();
  const auto sequential_db = (dir_ / "sequential" / "runs.db").string();
  std::filesystem::create_directories(dir_ / "parallel");
  std::filesystem::create_directories(dir_ / "sequential");
  const auto progress_log = (dir_ / "parallel.log").string();
  const auto parallel =
      RunQlsweep("run " + sweep + " --db " + parallel_db + " --gpus 0,1 2>" + progress_log);
  ASSERT_EQ(parallel.exit_code, 0) << parallel.out;
  const auto sequential = RunQlsweep("run " + sweep + " --db " + sequential_db + " --quiet");
  ASSERT_EQ(sequential.exit_code, 0) << sequential.out;

  auto par = qlsweep::storage::RunIndex::OpenReadOnly(parallel_db);
  auto seq = qlsweep::storage::RunIndex::OpenReadOnly(sequential_db);
  const auto par_rows = par->Trials("gpus");
  ASSERT_EQ(par_rows.size(), 2u);
  std::set<std::string> gpus;
  for (const auto& t : par_rows) {
    SCOPED_TRACE(t.name);
    ASSERT_EQ(t.status, TrialStatus::kDone) << t.error;
    gpus.insert(t.gpu);
    const auto s = seq->Trial(t.id);
    ASSERT_TRUE(s.has_value());
    ASSERT_EQ(s->status, TrialStatus::kDone) << s->error;
    EXPECT_EQ(s->gpu, "");
    // Seeded CPU trials are deterministic: bit-identical losses, whatever runs beside them.
    EXPECT_EQ(t.results.at("final_eval_loss"), s->results.at("final_eval_loss"));
    EXPECT_EQ(t.results.at("final_loss"), s->results.at("final_loss"));

    const auto env = Environment(*par, t.id);
    EXPECT_EQ(env.at("gpu_slot"), t.gpu);
    EXPECT_EQ(env.at("device"), "cpu");
    EXPECT_EQ(env.at("dtype"), "Float");
    EXPECT_FALSE(env.at("host").empty());
    EXPECT_FALSE(env.at("qlsweep_version").empty());
    EXPECT_EQ(Environment(*seq, t.id).count("gpu_slot"), 0u);
  }
  EXPECT_EQ(gpus, (std::set<std::string>{"0", "1"}));
  // Both ran at once: each started before the other finished (ISO 8601 UTC sorts as text).
  EXPECT_LT(par_rows[0].started_at, par_rows[1].finished_at);
  EXPECT_LT(par_rows[1].started_at, par_rows[0].finished_at);

  // Every progress line of a trial names it: "[k/2] <id> ...".
  std::ifstream log(progress_log);
  int trial_lines = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.rfind("sweep ", 0) == 0 || line.rfind("records: ", 0) == 0) continue;
    ++trial_lines;
    const bool first = line.rfind("[1/2] " + par_rows[0].id, 0) == 0;
    const bool second = line.rfind("[2/2] " + par_rows[1].id, 0) == 0;
    EXPECT_TRUE(first || second) << line;
  }
  EXPECT_GE(trial_lines, 4);  // a start and an outcome line per trial
}

TEST_F(SeveralGpus, InvalidGpuListRunsNothing) {
  const auto sweep = WriteSweep(kSweep);
  const auto result = RunQlsweep("run " + sweep + " --db " + db_ + " --gpus 0,,1 2>&1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.out.find("empty entry"), std::string::npos) << result.out;
  EXPECT_FALSE(std::filesystem::exists(db_));
}

}  // namespace
