// The answer of a fit search from recorded probes: the boundary, the GPU margin, a CPU trial's
// resident peak, edges of the range, an unfinished search and non-fit sweeps.
#include "analysis/fit_answer.h"

#include <gtest/gtest.h>

#include "protocol/result_keys.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

storage::SweepRecord FitSweep(int64_t low, int64_t high, int64_t step) {
  return {"fit", "fit.yaml", "", "",
          R"({"name": "fit", "search": {"kind": "fit", "key": "data.seq_len", "low": )" +
              std::to_string(low) + ", \"high\": " + std::to_string(high) +
              ", \"step\": " + std::to_string(step) + "}}"};
}

storage::TrialRow Probe(int64_t seq_len, protocol::TrialStatus status, const std::string& profile,
                        double peak_bytes = 0, const std::string& phase = "") {
  storage::TrialRow row;
  row.id = "t" + std::to_string(seq_len);
  row.status = status;
  row.oom_phase = phase;
  row.params["data.seq_len"] = std::to_string(seq_len);
  row.params["hardware.gpu_profile"] = profile;
  row.params["hardware.host_memory_mib"] = profile.empty() ? "900" : "0";
  if (peak_bytes > 0) row.results[std::string(protocol::result::kDevicePeakBytes)] = peak_bytes;
  return row;
}

TEST(FitAnswerTest, BoundaryWithTheGpuMargin) {
  const auto* card = sweeps::FindGpuProfile("rtx4050-laptop-6gb");
  ASSERT_NE(card, nullptr);
  const double peak = static_cast<double>(card->memory_bytes) - 212 * kMiB;
  const auto answer =
      FitAnswerOf(FitSweep(1024, 8192, 1024),
                  {Probe(4096, protocol::TrialStatus::kOom, card->name, 0, "backward"),
                   Probe(2048, protocol::TrialStatus::kDone, card->name, peak / 2),
                   Probe(3072, protocol::TrialStatus::kDone, card->name, peak)});
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->complete);
  EXPECT_EQ(answer->fits, 3072);
  EXPECT_EQ(answer->fails, 4096);
  char gib[16];
  std::snprintf(gib, sizeof(gib), "%.2f", static_cast<double>(card->memory_bytes) / (kMiB * 1024));
  EXPECT_EQ(answer->text,
            "longest data.seq_len that fits rtx4050-laptop-6gb (" + std::string(gib) +
                " GiB): 3072 (+212 MiB); 4096 does not (oom in backward); 3 probe(s)");
}

TEST(FitAnswerTest, CpuTrialsShowTheirResidentPeakEdgesAndUnfinishedSearches) {
  const auto sweep = FitSweep(256, 2048, 256);
  auto answer = FitAnswerOf(sweep, {Probe(2048, protocol::TrialStatus::kDone, "", 600 * kMiB)});
  EXPECT_EQ(answer->text,
            "longest data.seq_len that fits 900 MiB of host memory: 2048 (resident peak 600 MiB), "
            "the top of the searched range; 1 probe(s)");
  answer = FitAnswerOf(sweep, {Probe(256, protocol::TrialStatus::kOom, "", 0, "load")});
  EXPECT_EQ(answer->text,
            "no data.seq_len from 256 fits 900 MiB of host memory: 256 does not (oom in load); "
            "1 probe(s)");
  answer = FitAnswerOf(sweep, {Probe(1024, protocol::TrialStatus::kDone, "", 600 * kMiB),
                               Probe(1536, protocol::TrialStatus::kOom, "", 0, "forward"),
                               Probe(1280, protocol::TrialStatus::kFailed, "")});
  EXPECT_FALSE(answer->complete);  // 1280 failed: the boundary lies between 1024 and 1536
  EXPECT_TRUE(
      answer->text.ends_with("2 probe(s) so far; run the sweep again to continue the "
                             "search"))
      << answer->text;
}

TEST(FitAnswerTest, OnlyFitSweepsHaveOne) {
  EXPECT_FALSE(FitAnswerOf({"g", "", "", "", R"({"name": "g", "grid": {}})"}, {}));
  EXPECT_FALSE(FitAnswerOf({"r", "", "", "", R"({"search": {"kind": "random"}})"}, {}));
  EXPECT_FALSE(FitAnswerOf({"x", "", "", "", "not json"}, {}));
}

}  // namespace
}  // namespace qlsweep::analysis
