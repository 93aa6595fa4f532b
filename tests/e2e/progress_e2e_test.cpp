// e2e tier: what `qlsweep run` says while it works: each trial's phases before its first step
// (from the trial's progress events), its steps, and the sweep's time left after each trial.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::RunQlsweep;
using ProgressEndToEnd = qlsweep::e2e::E2eTest;

size_t Find(const std::string& text, const std::string& part) {
  const auto at = text.find(part);
  EXPECT_NE(at, std::string::npos) << "no '" << part << "' in\n" << text;
  return at;
}

TEST_F(ProgressEndToEnd, PhasesStepsAndTheSweepsTimeLeft) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("progress", "lora.r: [2, 4]", 3));
  const auto log = (dir_ / "progress.log").string();
  auto run = RunQlsweep("run " + sweep + " --db " + db_ + " 2>" + log);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::stringstream text;
  text << std::ifstream(log).rdbuf();
  const std::string out = text.str();
  const auto started = Find(out, "[1/2] ");
  const auto loading = Find(out, "lora.r=2: loading the model\n");
  const auto base = Find(out, "lora.r=2: evaluating the base model (2 sequences)\n");
  const auto step = Find(out, "lora.r=2: step ");
  const auto sweep_line = Find(out, "sweep progress: 1 of 2 trial(s) finished, 1 to go, about ");
  EXPECT_LT(started, loading);
  EXPECT_LT(loading, base);
  EXPECT_LT(base, step);
  EXPECT_LT(step, sweep_line);
  EXPECT_EQ(out.find("sweep progress: 2 of 2"), std::string::npos) << out;  // nothing left: no line

  // The trial's own events: progress (load), started, progress (base eval), eval.
  const auto trial = dir_ / "trials";
  std::string first;
  for (const auto& entry : std::filesystem::directory_iterator(trial)) first = entry.path();
  auto train = RunQlsweep("train " + first);
  ASSERT_EQ(train.exit_code, 0) << train.out;
  std::stringstream lines(train.out);
  std::vector<std::string> kinds;
  for (std::string line; std::getline(lines, line) && kinds.size() < 4;) {
    kinds.push_back(nlohmann::json::parse(line)["event"]);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"progress", "started", "progress", "eval"}));
}

}  // namespace
