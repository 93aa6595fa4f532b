// Time-left estimates of the progress lines.
#include "runner/eta.h"

#include <gtest/gtest.h>

namespace qlsweep::runner {
namespace {

TEST(Eta, TrialTimeLeftUsesTheSteadyStepsNotTheFirst) {
  struct Case {
    int64_t step, total;
    double steady_s;
    int64_t steady_steps;
    double first_s, want;
  };
  for (const auto& c : {
           Case{1, 10, 0, 0, 3.0, 27.0},    // only step 1 so far: its time
           Case{3, 10, 1.0, 2, 3.0, 3.5},   // steps 2-3 took 0.5 s each; step 1's 3 s ignored
           Case{10, 10, 4.5, 9, 3.0, 0.0},  // done
           Case{0, 10, 0, 0, 0, 0.0},
       }) {
    EXPECT_DOUBLE_EQ(TrialSecondsLeft(c.step, c.total, c.steady_s, c.steady_steps, c.first_s),
                     c.want)
        << c.step << "/" << c.total;
  }
}

TEST(Eta, SweepTimeLeftSharesTheWorkOverTheSlots) {
  EXPECT_DOUBLE_EQ(SweepSecondsLeft(4, 10.0, {}, 1), 40.0);
  EXPECT_DOUBLE_EQ(SweepSecondsLeft(4, 10.0, {5.0, -1.0}, 2), 22.5);  // a late trial counts 0
  EXPECT_DOUBLE_EQ(SweepSecondsLeft(0, 10.0, {}, 0), 0.0);
}

TEST(Eta, DurationText) {
  const std::pair<double, std::string> cases[] = {{0, "0s"},      {44.6, "45s"},   {59.4, "59s"},
                                                  {130, "2m10s"}, {3600, "1h00m"}, {3900, "1h05m"},
                                                  {-3, "0s"}};
  for (const auto& [seconds, want] : cases) EXPECT_EQ(DurationText(seconds), want) << seconds;
}

}  // namespace
}  // namespace qlsweep::runner
