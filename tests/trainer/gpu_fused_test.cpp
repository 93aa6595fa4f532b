// The fused decoder kernels (trainer/model/fused_ops.h) against the composite torch ops they
// replace, on the GPU, on the same inputs: RoPE and SwiGLU forward bit for bit; RMSNorm and the
// backward passes within one bf16 ulp (a relative 2^-7), as each comment says why.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/model/fused_ops.h"
#include "trainer/model/llama.h"
#include "trainer/model/rope.h"
#include "trainer/peft/lora_projection.h"

namespace qlsweep::trainer {
namespace {

const torch::Device kCuda(torch::kCUDA, 0);

// Within one ulp of the dtype at each element's magnitude (bf16: 2^-7 relative covers a one-ulp
// step just below a power of two), plus a floor for values near zero.
void ExpectWithinAnUlp(const torch::Tensor& mine, const torch::Tensor& ref, const char* what) {
  const double rtol = mine.scalar_type() == torch::kBFloat16 ? 1.0 / 128 : 1e-5;
  auto a = mine.to(torch::kFloat32), b = ref.to(torch::kFloat32);
  const auto bad = ((a - b).abs() > rtol * torch::maximum(a.abs(), b.abs()) + 1e-6).sum();
  EXPECT_EQ(bad.item<int64_t>(), 0)
      << what << ": max difference " << (a - b).abs().max().item<double>() << " over " << a.numel()
      << " elements";
}

TEST(GpuFused, RopeEqualsTheCompositeBitForBitBothWays) {
  torch::manual_seed(1);
  for (const auto dtype : {torch::kBFloat16, torch::kFloat32}) {
    for (const int64_t hd : {128, 6}) {  // 16-byte vectors, and the scalar fallback
      const auto opts = torch::TensorOptions().dtype(dtype).device(kCuda);
      auto [cos, sin] = RopeTables(37, hd, 10000.0, kCuda, {});
      auto x = torch::randn({2, 37, 3, hd}, opts).requires_grad_(true);
      auto x_ref = x.detach().clone().requires_grad_(true);
      auto g = torch::randn({2, 3, 37, hd}, opts);  // as SDPA hands it back: [B, H, T, hd]
      auto mine = FusedRope(x, cos, sin).transpose(1, 2);
      auto ref = ApplyRope(x_ref.transpose(1, 2), cos, sin);
      EXPECT_TRUE(torch::equal(mine, ref)) << dtype << " hd " << hd;
      mine.backward(g);
      ref.backward(g);
      EXPECT_TRUE(torch::equal(x.grad(), x_ref.grad())) << dtype << " hd " << hd;
    }
  }
}

TEST(GpuFused, SwiGluEqualsTheCompositeForwardAndWithinAnUlpBackward) {
  torch::manual_seed(2);
  for (const int64_t n : {4 * 11008, 1001}) {  // vectorised, and a ragged size
    const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda);
    auto gate = (torch::randn({n}, opts) * 3).requires_grad_(true);
    auto up = torch::randn({n}, opts).requires_grad_(true);
    auto gate_ref = gate.detach().clone().requires_grad_(true);
    auto up_ref = up.detach().clone().requires_grad_(true);
    auto dy = torch::randn({n}, opts);
    auto mine = FusedSwiGlu(gate, up);
    auto ref = torch::silu(gate_ref) * up_ref;
    EXPECT_TRUE(torch::equal(mine, ref)) << n;
    mine.backward(dy);
    ref.backward(dy);
    // d_up = T(dy * T(silu)) is the composite's product exactly; d_gate's float32 formula may
    // be contracted into fused multiply-adds in torch's build: one ulp.
    EXPECT_TRUE(torch::equal(up.grad(), up_ref.grad())) << n;
    ExpectWithinAnUlp(gate.grad(), gate_ref.grad(), "d_gate");
  }
}

// The row's sum of squares is reduced in another order than torch's mean, so the normalised
// value may round to the neighbouring bf16: one ulp; the same for the gradient.
TEST(GpuFused, RmsNormWithinAnUlpOfTheCompositeBothWays) {
  torch::manual_seed(3);
  for (const int64_t d : {4096, 20}) {
    const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda);
    auto x = torch::randn({2, 33, d}, opts).requires_grad_(true);
    auto x_ref = x.detach().clone().requires_grad_(true);
    auto w = torch::rand({d}, opts) + 0.5;
    auto g = torch::randn({2, 33, d}, opts);
    auto mine = FusedRmsNorm(x, w, 1e-5);
    auto x32 = x_ref.to(torch::kFloat32);
    auto ref = w * (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + 1e-5)).to(torch::kBFloat16);
    ExpectWithinAnUlp(mine, ref, "forward");
    mine.backward(g);
    ref.backward(g);
    ExpectWithinAnUlp(x.grad(), x_ref.grad(), "backward");
  }
}

// The fused LoRA projection on a 4-bit base in bf16 on the GPU against the plain expression:
// the update enters the base GEMM's fp32 accumulator instead of being rounded three times, so
// outputs and gradients agree to a few bf16 ulps (2^-6 relative, 1e-2 absolute near zero).
TEST(GpuFused, LoraProjectionOnA4BitBaseMatchesThePlainExpression) {
  torch::manual_seed(4);
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda);
  FrozenMatrix base;
  QuantPolicy policy;
  policy.type = "nf4";
  base.Set(torch::randn({512, 256}, opts) * 0.05, policy, true);
  auto x = torch::randn({2, 64, 256}, opts).requires_grad_(true);
  auto a = (torch::randn({16, 256}, opts) * 0.06).requires_grad_(true);
  auto b = (torch::randn({512, 16}, opts) * 0.06).requires_grad_(true);
  auto g = torch::randn({2, 64, 512}, opts);
  auto mine = LoraProjection(x, base, a, b, 0.0, 2.0);
  mine.backward(g);
  auto grads = std::vector<torch::Tensor>{mine.detach(), x.grad().clone(), a.grad().clone(),
                                          b.grad().clone()};
  for (auto* t : {&x, &a, &b}) t->mutable_grad() = torch::Tensor();
  auto ref = torch::nn::functional::linear(x, base.Get(torch::kBFloat16)) +
             torch::nn::functional::linear(torch::nn::functional::linear(x, a), b) * 2.0;
  ref.backward(g);
  auto refs = std::vector<torch::Tensor>{ref.detach(), x.grad(), a.grad(), b.grad()};
  for (size_t i = 0; i < refs.size(); ++i) {
    EXPECT_TRUE(
        torch::allclose(grads[i].to(torch::kFloat32), refs[i].to(torch::kFloat32), 1.0 / 64, 1e-2))
        << "tensor " << i << " max difference "
        << (grads[i].to(torch::kFloat32) - refs[i].to(torch::kFloat32)).abs().max().item<double>();
  }
}

}  // namespace
}  // namespace qlsweep::trainer
