// Event stream + exit status -> recorded status, error and results.
#include "runner/trial_outcome.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace qlsweep::runner {
namespace {

OutcomeBuilder Fed(const std::vector<std::string>& lines) {
  OutcomeBuilder builder("t1");
  for (const auto& line : lines) builder.OnLine(line);
  return builder;
}

const std::string kStarted =
    R"({"event":"started","device":"cpu","dtype":"Float","trainable_params":10})";
const std::string kStep = R"({"event":"step","step":1,"loss":2.5,"memory":{"alloc_bytes":100}})";
const std::string kDone = R"({"event":"done","final_eval_loss":1.5,"tokens_per_s":900})";

TEST(OutcomeBuilder, ReturnsEventKinds) {
  OutcomeBuilder builder("t1");
  EXPECT_EQ(builder.OnLine(kStarted), "started");
  EXPECT_EQ(builder.started().value("device", ""), "cpu");
  EXPECT_EQ(builder.OnLine(kStep), "step");
  EXPECT_EQ(builder.last_step().value("step", 0), 1);
  EXPECT_EQ(builder.OnLine("warning: not json"), "");
  EXPECT_EQ(builder.OnLine(R"({"event":3})"), "");
}

TEST(OutcomeBuilder, DoneNeedsTheEventAndExitZero) {
  const auto done = Fed({kStarted, kStep, kDone}).Finish(0, 0, false, false, 1.0);
  EXPECT_EQ(done.status, "done");
  EXPECT_EQ(done.results.at("final_eval_loss"), 1.5);
  EXPECT_EQ(done.results.at("trainable_params"), 10);
  EXPECT_EQ(done.results.at("last_step.alloc_bytes"), 100);
  EXPECT_EQ(Fed({kStarted, kStep}).Finish(0, 0, false, false, 1.0).status, "failed");
}

TEST(OutcomeBuilder, SignalsTimeoutsAndInterrupts) {
  const auto crashed = Fed({kStarted, kStep}).Finish(0, SIGSEGV, false, false, 1.0);
  EXPECT_EQ(crashed.status, "killed");
  EXPECT_EQ(crashed.signal, SIGSEGV);
  EXPECT_NE(crashed.error.find("signal 11"), std::string::npos);
  EXPECT_EQ(Fed({kStep}).Finish(0, SIGTERM, true, false, 3.0).status, "timeout");
  const auto stopped = Fed({kStep}).Finish(0, SIGTERM, false, true, 3.0);
  EXPECT_EQ(stopped.status, "killed");
  EXPECT_NE(stopped.error.find("interrupt"), std::string::npos);
}

TEST(OutcomeBuilder, OomAndFailures) {
  const auto oom = Fed({R"({"event":"oom","phase":"backward","message":"CUDA out of memory"})"})
                       .Finish(3, 0, false, false, 1.0);
  EXPECT_EQ(oom.status, "oom");
  EXPECT_EQ(oom.oom_phase, "backward");
  EXPECT_EQ(oom.results.count("base_eval_loss"), 0u);
  // The base evaluation before the oom is kept (quality scores need the base loss).
  const auto late = Fed({kStarted, R"({"event":"eval","step":0,"eval_loss":3.25,"base":true})",
                         R"({"event":"eval","step":5,"eval_loss":2.0,"base":false})",
                         R"({"event":"oom","phase":"backward","message":"CUDA out of memory"})"})
                        .Finish(3, 0, false, false, 1.0);
  EXPECT_EQ(late.status, "oom");
  EXPECT_EQ(late.results.at("base_eval_loss"), 3.25);
  const auto error = Fed({R"({"event":"error","phase":"load","message":"no such file"})"})
                         .Finish(1, 0, false, false, 1.0);
  EXPECT_EQ(error.status, "failed");
  EXPECT_EQ(error.error, "no such file");
  EXPECT_EQ(Fed({"exec: no such file"}).Finish(127, 0, false, false, 0).error,
            "exec: no such file");
}

}  // namespace
}  // namespace qlsweep::runner
