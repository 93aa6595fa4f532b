// Unit: 8-bit blockwise AdamW tracks fp32 AdamW, keeps small tensors fp32, and stores ~25%.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "trainer/optim/adamw.h"
#include "trainer/optim/adamw8bit.h"

namespace qlsweep::trainer {
namespace {

// A random least-squares problem: loss(W) = mean((X W^T - Y)^2), X [512, 128], W [64, 128].
struct LeastSquares {
  torch::Tensor x, y;
  explicit LeastSquares(uint64_t seed) {
    torch::manual_seed(seed);
    x = torch::randn({512, 128});
    y = torch::matmul(x, torch::randn({64, 128}).t()) + 0.1 * torch::randn({512, 64});
  }
  torch::Tensor Loss(const torch::Tensor& w) const {
    return (torch::matmul(x, w.t()) - y).pow(2).mean();
  }
};

// Runs `steps` optimizer steps from w0 and returns the loss after each.
std::vector<double> Train(Optimizer& opt, torch::Tensor& w, const LeastSquares& problem, int steps,
                          double lr) {
  std::vector<double> losses;
  for (int step = 0; step < steps; ++step) {
    auto loss = problem.Loss(w);
    loss.backward();
    opt.Step(lr);
    opt.ZeroGrad();
    losses.push_back(problem.Loss(w).item<double>());
  }
  return losses;
}

TEST(AdamW8bit, TracksFp32AdamWOnRandomLeastSquares) {
  for (uint64_t seed : {11, 12, 13}) {
    LeastSquares problem(seed);
    auto w0 = 0.1 * torch::randn({64, 128});  // 8192 elements: 32 blocks of 8-bit state
    auto w32 = w0.clone().requires_grad_(true), w8 = w0.clone().requires_grad_(true);
    const AdamHyper hyper{0.9, 0.999, 1e-8, 0.01};
    AdamW fp32({w32}, hyper, false);
    AdamW8bit eight({w8}, hyper, false);
    ASSERT_TRUE(eight.state(0).is_8bit());
    const int steps = 150;
    auto l32 = Train(fp32, w32, problem, steps, 0.02);
    auto l8 = Train(eight, w8, problem, steps, 0.02);
    const double start = problem.Loss(w0).item<double>();
    EXPECT_LT(l32.back(), 0.05 * start) << "the fp32 run itself must converge";
    for (int s = 0; s < steps; ++s) {
      // Tolerance: the 8-bit loss stays within 5% (relative) of fp32's at every step, and within
      // 1% of the starting loss in absolute terms once both are small.
      EXPECT_LE(std::abs(l8[s] - l32[s]), 0.05 * l32[s] + 0.01 * start)
          << "seed " << seed << " step " << s << ": 8-bit " << l8[s] << " fp32 " << l32[s];
    }
    // The weights travel the same path: distance between the runs within 5% of the distance
    // travelled by the fp32 run.
    const double apart = (w8 - w32).norm().item<double>();
    const double travelled = (w32 - w0).norm().item<double>();
    EXPECT_LE(apart, 0.05 * travelled) << "seed " << seed;
  }
}

TEST(AdamW8bit, SmallTensorsKeepFp32StatesAndFollowTheReference) {
  torch::manual_seed(5);
  auto small = torch::randn({4095}).requires_grad_(true);
  auto edge = torch::randn({64, 64}).requires_grad_(true);  // exactly 4096: 8-bit
  auto ref = small.detach().clone().requires_grad_(true);
  const AdamHyper hyper{0.9, 0.999, 1e-8, 0.0};  // no decay: bnb's and torch's order coincide
  AdamW8bit eight({small, edge}, hyper, false);
  AdamW fp32({ref}, hyper, false);
  EXPECT_FALSE(eight.state(0).is_8bit());
  EXPECT_TRUE(eight.state(1).is_8bit());
  EXPECT_EQ(eight.state(0).m.scalar_type(), torch::kFloat32);
  EXPECT_EQ(eight.state(1).m_codes.scalar_type(), torch::kUInt8);
  for (int step = 0; step < 100; ++step) {
    auto g = torch::randn({4095});
    small.mutable_grad() = g.clone();
    ref.mutable_grad() = g.clone();
    edge.mutable_grad() = torch::randn({64, 64});
    eight.Step(1e-2);
    fp32.Step(1e-2);
  }
  // Same formula rearranged (eps scaled by sqrt(1-b2^t) vs sqrt(v) divided by it): fp32 rounding
  // differences only, 1e-5 absolute after 100 steps on O(1) values.
  EXPECT_LE((small - ref).abs().max().item<double>(), 1e-5);
}

TEST(AdamW8bit, StateBytesAreAQuarterOfFp32PlusAbsmax) {
  torch::manual_seed(6);
  std::vector<torch::Tensor> params = {torch::randn({1024, 1024}), torch::randn({4096, 16}),
                                       torch::randn({1000})};
  AdamW fp32(params, AdamHyper{}, false);
  AdamW8bit eight(params, AdamHyper{}, false);
  // Measured from the state tensors: 2 code bytes per element plus two fp32 absmax per 256
  // elements for the big tensors, 8 bytes per element for the small one.
  const int64_t big = 1024 * 1024 + 4096 * 16;
  const int64_t expected = 2 * big + 2 * 4 * (big / 256) + 8 * 1000;
  EXPECT_EQ(eight.StateBytes(), expected);
  EXPECT_EQ(fp32.StateBytes(), 8 * (big + 1000));
  const double ratio = static_cast<double>(eight.StateBytes()) / fp32.StateBytes();
  EXPECT_GT(ratio, 0.25);  // 0.25 codes + 1/256 absmax + the small fp32 tensor: 0.2548 here
  EXPECT_LT(ratio, 0.26);
}

TEST(AdamW8bit, StatesDecodeToTheFp32MomentsWithinTheMapsResolution) {
  torch::manual_seed(7);
  auto p8 = torch::randn({3000, 7}).requires_grad_(true);  // 21000: a short last block
  auto p32 = p8.detach().clone().requires_grad_(true);
  const AdamHyper hyper{0.9, 0.999, 1e-8, 0.0};
  AdamW8bit eight({p8}, hyper, false);
  AdamW fp32({p32}, hyper, false);
  for (int step = 0; step < 3; ++step) {
    auto g = torch::randn({3000, 7}) * torch::rand({3000, 7});
    p8.mutable_grad() = g.clone();
    p32.mutable_grad() = g.clone();
    eight.Step(1e-3);
    fp32.Step(1e-3);
  }
  const auto& s = eight.state(0);
  const auto maps = MakeAdam8bitMaps(torch::kCPU);
  const int64_t n = p8.numel();
  auto m = maps.m_code.index_select(0, s.m_codes.to(torch::kLong)) *
           s.m_absmax.repeat_interleave(256).narrow(0, 0, n);
  auto v = maps.v_code.index_select(0, s.v_codes.to(torch::kLong)) *
           s.v_absmax.repeat_interleave(256).narrow(0, 0, n);
  // The dynamic map's spacing near 1 is ~1/64 of the range; after three steps of quantization
  // error feeding back, the decoded moments stay within 5% of each block's absmax.
  auto m_err = (m - fp32.m(0)).abs() / s.m_absmax.repeat_interleave(256).narrow(0, 0, n);
  auto v_err = (v - fp32.v(0)).abs() / s.v_absmax.repeat_interleave(256).narrow(0, 0, n);
  EXPECT_LT(m_err.max().item<double>(), 0.05);
  EXPECT_LT(v_err.max().item<double>(), 0.05);
}

}  // namespace
}  // namespace qlsweep::trainer
