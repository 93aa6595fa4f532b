// Dynamic loss scaling against torch.amp.GradScaler: the same sequence of finite and inf/NaN
// gradients gives the same scales, skip decisions and unscaled gradients
// (scripts/reference/grad_scaler_reference.py).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "trainer/optim/loss_scaler.h"

namespace qlsweep::trainer {
namespace {

using qlsweep::testing::Python;
using qlsweep::testing::RunShell;

// The reference's output for growth interval `interval` and step kinds `kinds` (f, i, n).
nlohmann::json Reference(int interval, const std::string& kinds) {
  const auto script =
      std::string(QLSWEEP_SOURCE_DIR) + "/scripts/reference/grad_scaler_reference.py";
  const auto run =
      RunShell(Python() + " '" + script + "' " + std::to_string(interval) + " " + kinds);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  return nlohmann::json::parse(run.out);
}

TEST(LossScalerParity, DefaultsAreGradScalers) {
  const auto want = Reference(2000, "f")["defaults"];
  const LossScalerOptions ours;
  EXPECT_EQ(ours.init_scale, want["init_scale"].get<double>());
  EXPECT_EQ(ours.growth_factor, want["growth_factor"].get<double>());
  EXPECT_EQ(ours.backoff_factor, want["backoff_factor"].get<double>());
  EXPECT_EQ(ours.growth_interval, want["growth_interval"].get<int64_t>());
}

// Growth every 3 finite steps (2000 in training; the rule is the same), backoff on inf and NaN,
// the finite-step count restarting after either; exact equality: every scale is a power of 2.
TEST(LossScalerParity, ScalesSkipsAndUnscaledGradientsMatchGradScaler) {
  const std::string kinds = "ffffiffnfffffffiiffff";
  const auto want = Reference(3, kinds)["steps"];
  ASSERT_EQ(want.size(), kinds.size());
  LossScaler scaler({.growth_interval = 3});
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto c = torch::tensor({0.5, -1.25, 3.0, std::ldexp(1.0, -20)}, torch::kFloat32);
    if (kinds[i] == 'i') c[1] = std::numeric_limits<float>::infinity();
    if (kinds[i] == 'n') c[1] = std::numeric_limits<float>::quiet_NaN();
    auto p = torch::ones({4}, torch::requires_grad());
    const double scale = scaler.Scale();
    ((p * c).sum() * scale).backward();  // as TrainStep scales the loss
    const bool found_inf = scaler.Unscale({p});
    scaler.Update(found_inf);
    const auto& step = want[i];
    SCOPED_TRACE("step " + std::to_string(i) + " (" + kinds[i] + ")");
    EXPECT_EQ(scale, step["scale"].get<double>());
    EXPECT_EQ(found_inf, step["skipped"].get<bool>());
    EXPECT_EQ(scaler.Scale(), step["scale_after"].get<double>());
    for (int64_t j = 0; j < 4; ++j) {
      const auto& g = step["grad"][j];
      const double got = p.grad()[j].item<double>();
      if (g.is_string()) {
        EXPECT_EQ(g.get<std::string>(), std::isnan(got) ? "nan" : (got > 0 ? "inf" : "-inf"));
      } else {
        EXPECT_EQ(got, g.get<double>());
      }
    }
  }
}

// Growth that would overflow float32 keeps the old scale (and restarts the count), as torch does.
TEST(LossScaler, GrowthPastFloatMaxKeepsTheScale) {
  LossScaler scaler({.init_scale = std::ldexp(1.0f, 127), .growth_interval = 1});
  scaler.Update(false);
  EXPECT_EQ(scaler.Scale(), std::ldexp(1.0f, 127));
  EXPECT_EQ(scaler.GrowthTracker(), 0);
  scaler.Update(true);
  EXPECT_EQ(scaler.Scale(), std::ldexp(1.0f, 126));
}

// fp16 gradients (the trainer keeps fp16 weights) are unscaled in place in their own dtype.
TEST(LossScaler, UnscalesHalfGradientsInPlace) {
  auto p = torch::zeros({3}, torch::dtype(torch::kFloat16).requires_grad(true));
  p.mutable_grad() = torch::tensor({1024.0, -2048.0, 65504.0}, torch::kFloat16);
  LossScaler scaler({.init_scale = 1024.0f});
  EXPECT_FALSE(scaler.Unscale({p}));
  EXPECT_EQ(p.grad().scalar_type(), torch::kFloat16);
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0, -2.0, 63.96875}, torch::kFloat16)));
}

}  // namespace
}  // namespace qlsweep::trainer
