// Unit: the fp32 AdamW reference equals torch::optim::AdamW, and the factory's names and checks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "trainer/optim/adamw.h"
#include "trainer/optim/adamw8bit.h"
#include "trainer/optim/make_optimizer.h"
#include "trainer/optim/paged_memory.h"

namespace qlsweep::trainer {
namespace {

std::vector<torch::Tensor> RandomParams(uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({37, 19}), torch::randn({5000}), torch::randn({3, 4, 5})};
}

std::vector<torch::Tensor> Clone(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

TEST(AdamW, MatchesTorchAdamWOver100StepsWithChangingLr) {
  auto ours = Clone(RandomParams(1)), theirs = Clone(RandomParams(1));
  const AdamHyper hyper{0.9, 0.95, 1e-8, 0.1};
  AdamW adamw(ours, hyper, /*paged=*/false);
  torch::optim::AdamW reference(theirs, torch::optim::AdamWOptions(1e-2)
                                            .betas({hyper.beta1, hyper.beta2})
                                            .eps(hyper.eps)
                                            .weight_decay(hyper.weight_decay));
  for (int step = 0; step < 100; ++step) {
    const double lr = 1e-2 * (1.0 - step / 200.0);
    for (auto& group : reference.param_groups()) group.options().set_lr(lr);
    for (size_t i = 0; i < ours.size(); ++i) {
      auto g = torch::randn_like(ours[i]) * (0.1 + step % 7);
      ours[i].mutable_grad() = g.clone();
      theirs[i].mutable_grad() = g.clone();
    }
    adamw.Step(lr);
    reference.step();
    adamw.ZeroGrad();
    EXPECT_FALSE(ours[0].grad().defined());
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    // Same fp32 operations in the same order: 1e-6 absolute on O(1) values.
    EXPECT_LE((ours[i] - theirs[i]).abs().max().item<double>(), 1e-6) << "param " << i;
  }
  EXPECT_EQ(adamw.StateBytes(), 8 * (37 * 19 + 5000 + 60));
  EXPECT_EQ(adamw.ManagedBytes(), 0);
}

TEST(AdamW, SkipsParametersWithoutGradient) {
  auto params = Clone(RandomParams(2));
  auto before0 = params[0].detach().clone(), before1 = params[1].detach().clone();
  AdamW adamw(params, AdamHyper{}, false);
  params[0].mutable_grad() = torch::ones_like(params[0]);
  adamw.Step(1e-3);
  EXPECT_FALSE(torch::equal(params[0], before0));
  EXPECT_TRUE(torch::equal(params[1], before1));
}

sweeps::OptimConfig Config(const std::string& name) { return {name, 1e-3, 0.9, 0.999, 1e-8, 0.0}; }

TEST(MakeOptimizer, PicksTheNamedImplementation) {
  auto params = Clone(RandomParams(3));
  EXPECT_NE(dynamic_cast<AdamW*>(MakeOptimizer(Config("adamw"), params, torch::kCPU).get()),
            nullptr);
  EXPECT_NE(dynamic_cast<AdamW*>(MakeOptimizer(Config("paged_adamw"), params, torch::kCPU).get()),
            nullptr);
  EXPECT_NE(
      dynamic_cast<AdamW8bit*>(MakeOptimizer(Config("adamw_8bit"), params, torch::kCPU).get()),
      nullptr);
  auto paged8 = MakeOptimizer(Config("paged_adamw_8bit"), params, torch::kCPU);
  EXPECT_NE(dynamic_cast<AdamW8bit*>(paged8.get()), nullptr);
  EXPECT_EQ(paged8->ManagedBytes(), 0);  // host tensors on a CPU device: nothing to page
}

TEST(MakeOptimizer, RejectsUnknownNamesAndOutOfRangeValues) {
  auto params = Clone(RandomParams(4));
  EXPECT_THROW(MakeOptimizer(Config("sgd"), params, torch::kCPU), std::invalid_argument);
  auto bad = Config("adamw");
  bad.lr = 0;
  EXPECT_THROW(MakeOptimizer(bad, params, torch::kCPU), std::invalid_argument);
  bad = Config("adamw");
  bad.beta2 = 1.0;
  EXPECT_THROW(MakeOptimizer(bad, params, torch::kCPU), std::invalid_argument);
  bad = Config("adamw_8bit");
  bad.eps = 0;
  EXPECT_THROW(MakeOptimizer(bad, params, torch::kCPU), std::invalid_argument);
  bad = Config("adamw_8bit");
  bad.weight_decay = -0.1;
  EXPECT_THROW(MakeOptimizer(bad, params, torch::kCPU), std::invalid_argument);
}

TEST(ManagedBudget, RefusesRequestsBeyondFreeMemoryMinusMargin) {
  const int64_t gib = int64_t{1} << 30;
  EXPECT_EQ(ManagedBudgetError(0, gib, 2 * gib), "");
  EXPECT_EQ(ManagedBudgetError(gib / 2, gib / 2, gib + kManagedMarginBytes), "");  // exactly fits
  EXPECT_NE(ManagedBudgetError(gib / 2, gib / 2 + 1, gib + kManagedMarginBytes), "");
  const auto message = ManagedBudgetError(4 * gib, gib, 4 * gib);
  EXPECT_NE(message.find("exceed the device's free 4096 MiB"), std::string::npos) << message;
}

}  // namespace
}  // namespace qlsweep::trainer
