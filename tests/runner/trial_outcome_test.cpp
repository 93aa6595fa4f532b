// Event stream + exit status -> recorded status, error and results.
#include "runner/trial_outcome.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runner/trial_command.h"
#include "tests/support/protocol_printers.h"

namespace qlsweep::runner {
namespace {

using protocol::TrialStatus;

OutcomeBuilder Fed(const std::vector<std::string>& lines) {
  OutcomeBuilder builder("t1");
  for (const auto& line : lines) builder.OnLine(line);
  return builder;
}

const std::string kStarted =
    R"({"event":"started","device":"cpu","dtype":"Float","trainable_params":10})";
const std::string kStep = R"({"event":"step","step":1,"loss":2.5,"memory":{"alloc_bytes":100}})";
const std::string kDone = R"({"event":"done","final_eval_loss":1.5,"tokens_per_s":900})";
const std::string kOom = R"({"event":"oom","phase":"backward","message":"CUDA out of memory"})";
const std::string kError = R"({"event":"error","phase":"load","message":"no such file"})";

TEST(OutcomeBuilder, ReturnsEventKinds) {
  OutcomeBuilder builder("t1");
  EXPECT_EQ(builder.OnLine(kStarted), "started");
  EXPECT_EQ(builder.started().value("device", ""), "cpu");
  EXPECT_EQ(builder.OnLine(kStep), "step");
  EXPECT_EQ(builder.last_step().value("step", 0), 1);
  EXPECT_EQ(builder.OnLine("warning: not json"), "");
  EXPECT_EQ(builder.OnLine(R"({"event":3})"), "");
}

// How a trial ended -> its status and the error text recorded for it.
TEST(OutcomeBuilder, StatusFromEventsAndHowTheProcessEnded) {
  struct Row {
    const char* what;
    std::vector<std::string> lines;
    int exit_code, signal;
    bool timed_out, interrupted;
    TrialStatus status;
    std::string error_part;  // "" when the error must be empty
  };
  const Row rows[] = {
      {"done event and exit 0",
       {kStarted, kStep, kDone},
       0,
       0,
       false,
       false,
       TrialStatus::kDone,
       ""},
      {"exit 0 without a done event",
       {kStarted, kStep},
       0,
       0,
       false,
       false,
       TrialStatus::kFailed,
       "exited with status 0"},
      {"a signal", {kStarted, kStep}, 0, SIGSEGV, false, false, TrialStatus::kKilled, "signal 11"},
      {"past the time limit",
       {kStep},
       0,
       SIGTERM,
       true,
       false,
       TrialStatus::kTimeout,
       "time limit"},
      {"Ctrl-C", {kStep}, 0, SIGTERM, false, true, TrialStatus::kKilled, "interrupt"},
      {"Ctrl-C that came as the trial ended",
       {kStarted, kStep, kDone},
       0,
       0,
       false,
       true,
       TrialStatus::kDone,
       ""},
      {"the time limit reached as the trial ended",
       {kStarted, kStep, kDone},
       0,
       0,
       true,
       false,
       TrialStatus::kDone,
       ""},
      {"Ctrl-C after the done event, before the process exited",
       {kStarted, kStep, kDone},
       0,
       SIGTERM,
       false,
       true,
       TrialStatus::kKilled,
       "interrupt"},
      {"an oom event", {kOom}, 3, 0, false, false, TrialStatus::kOom, "CUDA out of memory"},
      {"exit 3 without an oom event",
       {kStep},
       3,
       0,
       false,
       false,
       TrialStatus::kOom,
       "out of memory"},
      {"an error event", {kError}, 1, 0, false, false, TrialStatus::kFailed, "no such file"},
      {"only text",
       {"exec: no such file"},
       127,
       0,
       false,
       false,
       TrialStatus::kFailed,
       "exec: no such file"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    const auto out =
        Fed(row.lines).Finish(row.exit_code, row.signal, row.timed_out, row.interrupted, 1.0);
    EXPECT_EQ(out.status, row.status);
    EXPECT_EQ(out.exit_code, row.exit_code);
    EXPECT_EQ(out.signal, row.signal);
    if (row.error_part.empty()) {
      EXPECT_EQ(out.error, "");
    } else {
      EXPECT_NE(out.error.find(row.error_part), std::string::npos) << out.error;
    }
  }
}

TEST(OutcomeBuilder, DoneCopiesResults) {
  const auto done = Fed({kStarted, kStep, kDone}).Finish(0, 0, false, false, 1.0);
  EXPECT_EQ(done.results.at("final_eval_loss"), 1.5);
  EXPECT_EQ(done.results.at("trainable_params"), 10);
  EXPECT_EQ(done.results.at("last_step.alloc_bytes"), 100);
}

TEST(OutcomeBuilder, OomKeepsItsPhaseAndTheBaseEvaluation) {
  const auto oom = Fed({kOom}).Finish(3, 0, false, false, 1.0);
  EXPECT_EQ(oom.oom_phase, "backward");
  EXPECT_EQ(oom.results.count("base_eval_loss"), 0u);
  EXPECT_EQ(Fed({kStep}).Finish(3, 0, false, false, 1.0).oom_phase, "unknown");
  // The base evaluation before the oom is kept (quality scores need the base loss).
  const auto late = Fed({kStarted, R"({"event":"eval","step":0,"eval_loss":3.25,"base":true})",
                         R"({"event":"eval","step":5,"eval_loss":2.0,"base":false})", kOom})
                        .Finish(3, 0, false, false, 1.0);
  EXPECT_EQ(late.status, TrialStatus::kOom);
  EXPECT_EQ(late.results.at("base_eval_loss"), 3.25);
}

// A sharded trial: the first failing rank's event is recorded, naming the rank.
TEST(OutcomeBuilder, ShardedFailuresNameTheirRank) {
  const auto oom =
      Fed({R"({"event":"oom","phase":"forward","message":"CUDA out of memory","rank":1,"world_size":2})",
           R"({"event":"error","phase":"forward","message":"later","rank":0,"world_size":2})"})
          .Finish(3, 0, false, false, 1.0);
  EXPECT_EQ(oom.status, TrialStatus::kOom);
  EXPECT_EQ(oom.oom_phase, "forward");
  EXPECT_EQ(oom.error, "rank 1 of 2: CUDA out of memory");
  const auto failed =
      Fed({R"({"event":"error","phase":"backward","message":"boom","rank":3,"world_size":4})"})
          .Finish(1, 0, false, false, 1.0);
  EXPECT_EQ(failed.error, "rank 3 of 4: boom");
}

// A trial that died without an event: its record gets the last words of its stderr log.
TEST(TrialLog, LastLineIsTheLastNonEventText) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("qlsweep_last_log_line_" + std::to_string(::getpid()) + ".log"))
                        .string();
  {
    std::ofstream log(path);
    log << "loading\nqlsweep: boom in the optimizer   \n{\"event\": \"step\"}\n\n";
  }
  EXPECT_EQ(LastLogLine(path), "qlsweep: boom in the optimizer");
  {
    std::ofstream log(path);
    log << std::string(1000, 'x') << "\n";
  }
  EXPECT_EQ(LastLogLine(path), std::string(400, 'x') + "...");
  std::filesystem::remove(path);
  EXPECT_EQ(LastLogLine(path), "");  // no log: nothing to add
}

}  // namespace
}  // namespace qlsweep::runner
