// e2e tier: search beyond the grid with real tiny CPU trials. A fit search bisects
// train.micro_batch under a host memory limit (hardware.host_memory_mib: RLIMIT_DATA), each probe
// a recorded trial that ends done or oom; a re-run reuses the probes. A random search runs its
// draws, the ones `plan` shows, and resumes when asked for more.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::Has;
using qlsweep::e2e::RunQlsweep;
using qlsweep::protocol::TrialStatus;

class SearchEndToEnd : public qlsweep::e2e::E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    // One OpenMP thread per trial: each thread's stack counts in RLIMIT_DATA, so the boundary
    // must not depend on the machine's core count.
    setenv("OMP_NUM_THREADS", "1", 1);
  }
  void TearDown() override {
    unsetenv("OMP_NUM_THREADS");
    E2eTest::TearDown();
  }
};

// train.micro_batch over 1, 9, 17 (, 25, 33) at 1024 tokens with 840 MiB of data segment. The
// tiny model's training step needs about 20 MiB more per sequence; with 840 MiB the largest batch
// that fits is 13 (measured: 13 done, 14 oom; at 800 MiB 11, at 900 MiB 15, since the fused LoRA
// projection keeps no update tensor), so 9 fits and 17 does not, each by about 80 MiB
// (4 sequences), far beyond the run-to-run noise of a few MiB.
std::string FitSweep(int high, const std::string& extra_base = "") {
  return R"(name: fit-batch
base:
  model.preset: tiny
  quantization.type: none
  hardware: {device: cpu, host_memory_mib: 840}
  data.seq_len: 1024
  train: {steps: 1, warmup_steps: 0}
  optim.name: adamw
  eval.sequences: 1
)" + extra_base +
         "search: {kind: fit, key: train.micro_batch, low: 1, high: " + std::to_string(high) +
         ", step: 8}\n";
}

TEST_F(SearchEndToEnd, FitSearchBisectsToTheBoundaryWithRealOomsAndResumes) {
  // Three candidates (1, 9, 17): at most ceil(log2(3 + 1)) = 2 probes, the middle first.
  const auto small = WriteSweep(FitSweep(17), "small.yaml");
  auto plan = RunQlsweep("plan " + small + " 2>&1");
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_TRUE(Has(plan.out,
                  "fit search over train.micro_batch: 3 value(s) from 1 to 17 (step 8); "
                  "`run` probes at most 2 of them, one at a time, the first "
                  "train.micro_batch=9"))
      << plan.out;
  auto run = RunQlsweep("run " + small + " --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(Has(run.out, "ran 2 (done 1, oom 1, failed 0, killed 0, timeout 0)")) << run.out;
  EXPECT_TRUE(Has(run.out,
                  "fit: largest train.micro_batch that fits 840 MiB of host memory: 9 "
                  "(resident peak "))
      << run.out;
  EXPECT_TRUE(Has(run.out, "; 17 does not (oom in backward); 2 probe(s)\n")) << run.out;
  {
    const auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("fit-batch");
    ASSERT_EQ(trials.size(), 2u);  // only the probes are recorded, in probing order
    EXPECT_EQ(trials[0].name, "train.micro_batch=9");
    EXPECT_EQ(trials[0].status, TrialStatus::kDone);
    EXPECT_EQ(trials[1].name, "train.micro_batch=17");
    EXPECT_EQ(trials[1].status, TrialStatus::kOom);
    EXPECT_EQ(trials[1].oom_phase, "backward");
  }

  // The range widened to 33 (five candidates, at most 3 probes): the middle, 17, is recorded
  // (oom) and 9 too (done); only 1 is new. The answer stands.
  const auto wide = WriteSweep(FitSweep(33), "wide.yaml");
  run = RunQlsweep("run " + wide + " --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(Has(run.out,
                  "sweep fit-batch: 3 trial(s); ran 1 (done 1, oom 0, failed 0, killed 0, "
                  "timeout 0); 2 already recorded"))
      << run.out;
  EXPECT_TRUE(Has(run.out, "; 17 does not (oom in backward); 3 probe(s)\n")) << run.out;
  const auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("fit-batch");
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[2].name, "train.micro_batch=1");
  EXPECT_EQ(trials[2].status, TrialStatus::kDone);

  // Afterwards `table` states it too (on stderr, beside a table that stays valid JSON).
  auto table = RunQlsweep("table --db " + db_ + " --format json 2>&1 >/dev/null");
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_TRUE(Has(table.out, "fit: largest train.micro_batch that fits 840 MiB of host memory: 9"))
      << table.out;
  // And the report's summary (report.md and index.html).
  const auto out = dir_ / "report";
  auto report = RunQlsweep("report --db " + db_ + " --out " + out.string() + " 2>&1");
  EXPECT_TRUE(Has(qlsweep::e2e::ReadText(out / "report.md"),
                  "- fit: largest train.micro_batch that fits 840 MiB of host memory: 9"))
      << report.out;
}

TEST_F(SearchEndToEnd, AProbeThatFailsStopsTheFitSearch) {
  // Data that is not there: the first probe (the middle, 17) fails; nothing is concluded.
  const auto sweep = WriteSweep(
      FitSweep(33, "  data: {source: jsonl, path: " + (dir_ / "missing.jsonl").string() + "}\n"));
  const auto run = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_TRUE(Has(run.out,
                  "qlsweep: fit search stopped: probe train.micro_batch=17 ended failed, "
                  "neither fitting (done) nor out of memory (oom)"))
      << run.out;
  EXPECT_TRUE(Has(run.out, "fit: no probe of train.micro_batch recorded yet")) << run.out;
  EXPECT_EQ(qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("fit-batch").size(), 1u);
}

TEST_F(SearchEndToEnd, RandomSearchRunsThePlannedDrawsAndResumesWithMore) {
  const auto draws = [&](int trials) {
    return R"(name: rnd
base:
  model.preset: tiny
  quantization.type: none
  hardware.device: cpu
  data.seq_len: 32
  train: {steps: 2, warmup_steps: 0, micro_batch: 2}
  eval.sequences: 1
search:
  kind: random
  trials: )" +
           std::to_string(trials) +
           R"(
  seed: 3
  space:
    lora.r: {low: 2, high: 16}
    optim.lr: {low: 1.0e-3, high: 1.0e-1, log: true}
    optim.name: [adamw, paged_adamw]
)";
  };
  const auto three = WriteSweep(draws(3), "three.yaml");
  auto plan = RunQlsweep("plan " + three + " --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  const auto planned = nlohmann::json::parse(plan.out);
  ASSERT_EQ(planned.size(), 3u);
  auto run = RunQlsweep("run " + three + " --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto trials = qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("rnd");
  ASSERT_EQ(trials.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(trials[i].id, planned[i]["trial"].get<std::string>())
        << i;  // what plan showed is what ran
    EXPECT_EQ(trials[i].status, TrialStatus::kDone) << i;
    const double r = std::stod(trials[i].params.at("lora.r"));
    EXPECT_GE(r, 2);
    EXPECT_LE(r, 16);
  }
  // Five draws of the same seed begin with the same three: only two are new.
  run = RunQlsweep("run " + WriteSweep(draws(5), "five.yaml") + " --db " + db_ + " --quiet 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(Has(run.out, "sweep rnd: 5 trial(s); ran 2 (done 2,")) << run.out;
  EXPECT_TRUE(Has(run.out, "3 already recorded")) << run.out;
}

}  // namespace
