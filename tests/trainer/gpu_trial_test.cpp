// GPU tier: a tiny trial on CUDA in bf16 trains and reports allocator and device memory figures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "sweeps/load.h"
#include "tests/support/trainer/recording_sink.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::trainer {
namespace {

using qlsweep::testing::RecordingSink;

TEST(GpuTrial, TinyTrialTrainsOnCudaInBf16) {
  ASSERT_TRUE(torch::cuda::is_available())
      << "the gpu tier runs on the GPU machine (scripts/device)";
  auto cfg = sweeps::ResolveTrial(nlohmann::json::parse(R"({
      "model": {"preset": "tiny"}, "quantization": {"type": "none"},
      "data": {"seq_len": 128}, "train": {"steps": 6, "micro_batch": 4},
      "optim": {"name": "adamw", "lr": 0.01}, "hardware": {"device": "cuda"}})"));
  RecordingSink sink;
  ASSERT_EQ(RunTrial(cfg, sink), kExitDone) << sink.events.back().dump();
  // Progress (loading) comes first, then the started event.
  EXPECT_EQ(sink.events.front()["event"], "progress");
  const auto& started = sink.events.at(1);
  ASSERT_EQ(started["event"], "started");
  EXPECT_EQ(started["dtype"], "BFloat16");
  const auto& done = sink.events.back();
  ASSERT_EQ(done["event"], "done");
  EXPECT_TRUE(std::isfinite(done["final_loss"].get<double>()));
  EXPECT_LT(done["final_eval_loss"].get<double>(), done["base_eval_loss"].get<double>());
  EXPECT_GT(done["peak_alloc_bytes"].get<int64_t>(), 0);
  EXPECT_GE(done["peak_reserved_bytes"].get<int64_t>(), done["peak_alloc_bytes"].get<int64_t>());
  // The device-level figure includes the CUDA context, so it exceeds what the allocator holds.
  EXPECT_GT(done["device_peak_bytes"].get<int64_t>(), done["peak_reserved_bytes"].get<int64_t>());
}

}  // namespace
}  // namespace qlsweep::trainer
