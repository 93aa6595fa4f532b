// "fits?" verdicts and the byte formatting behind them.
#include "analysis/memory_fit.h"

#include <gtest/gtest.h>

#include "analysis/memory_units.h"
#include "tests/support/protocol_printers.h"

namespace qlsweep::analysis {
namespace {

using protocol::TrialStatus;

constexpr double kProfileMiB = 6141;  // rtx4050-laptop-6gb

storage::TrialRow Done(double device_peak_bytes) {
  storage::TrialRow t;
  t.status = TrialStatus::kDone;
  t.params["hardware.gpu_profile"] = "rtx4050-laptop-6gb";
  t.results["device_peak_bytes"] = device_peak_bytes;
  return t;
}

TEST(MemoryFit, MarginAgainstTheTrialsProfile) {
  const auto t = Done((kProfileMiB - 412) * kMiB);
  const auto* profile = TrialGpuProfile(t, "");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(profile->name, "rtx4050-laptop-6gb");
  EXPECT_DOUBLE_EQ(*FitMargin(t, profile), 412 * kMiB);
  EXPECT_EQ(FitVerdict(t, profile), "yes (+412 MiB)");
  EXPECT_EQ(FitVerdict(Done(kProfileMiB * kMiB), profile), "yes (+0 MiB)");
  EXPECT_EQ(FitVerdict(Done(kProfileMiB * kMiB + 1.2 * kGiB), profile), "no (-1.20 GiB)");
  EXPECT_EQ(FitVerdict(Done((kProfileMiB + 10) * kMiB), profile), "no (-10 MiB)");
}

TEST(MemoryFit, OomAndUnfinishedTrials) {
  const auto* profile = sweeps::FindGpuProfile("rtx4050-laptop-6gb");
  storage::TrialRow oom;
  oom.status = TrialStatus::kOom;
  oom.oom_phase = "backward";
  EXPECT_EQ(FitVerdict(oom, profile), "no (oom in backward)");
  oom.oom_phase = "";
  EXPECT_EQ(FitVerdict(oom, profile), "no (oom)");
  storage::TrialRow failed;
  failed.status = TrialStatus::kFailed;
  EXPECT_EQ(FitVerdict(failed, profile), "-");
  EXPECT_FALSE(FitMargin(failed, profile).has_value());
}

TEST(MemoryFit, TheSweepsProfileWhenTheTrialHasNone) {
  storage::TrialRow t = Done(kGiB);
  t.params.clear();
  EXPECT_EQ(TrialGpuProfile(t, ""), nullptr);
  EXPECT_EQ(FitVerdict(t, nullptr), "-");
  ASSERT_NE(TrialGpuProfile(t, "rtx3060-12gb"), nullptr);
  EXPECT_EQ(TrialGpuProfile(t, "rtx3060-12gb")->name, "rtx3060-12gb");
  EXPECT_EQ(TrialGpuProfile(t, "no-such-card"), nullptr);
}

TEST(MemoryUnits, Formatting) {
  EXPECT_EQ(SignedBytes(412 * kMiB), "+412 MiB");
  EXPECT_EQ(SignedBytes(-1.2 * kGiB), "-1.20 GiB");
  EXPECT_EQ(GroupedInteger(39976960), "39,976,960");
  EXPECT_EQ(GroupedInteger(512), "512");
  EXPECT_EQ(GroupedInteger(-1234), "-1,234");
  EXPECT_EQ(UnitFor(900 * kMiB).name, "MiB");
  EXPECT_EQ(InUnit(5.5 * kGiB, UnitFor(5.5 * kGiB)), "5.50");
  EXPECT_EQ(InUnit(376.25 * kMiB, UnitFor(400 * kMiB)), "376.2");
}

}  // namespace
}  // namespace qlsweep::analysis
