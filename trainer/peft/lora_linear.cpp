// LoRA forward: base GEMM on the frozen (possibly 4-bit) weight plus the scaled low-rank update.
#include "trainer/peft/lora_linear.h"

#include <cmath>

#include "trainer/peft/lora_projection.h"
#include "trainer/quant/linear_4bit.h"

namespace qlsweep::trainer {

LoraLinearImpl::LoraLinearImpl(int64_t in_features, int64_t out_features, int64_t rank,
                               double alpha, double dropout, const torch::TensorOptions& options,
                               bool random_base)
    : in_(in_features), out_(out_features), rank_(rank), alpha_(alpha), dropout_(dropout) {
  torch::NoGradGuard no_grad;
  if (random_base) {
    base_.Set(torch::empty({out_features, in_features}, options).normal_(0.0, 0.02), QuantPolicy{},
              false);
  }
  if (rank_ > 0) {
    lora_a_ = register_parameter("lora_A", torch::empty({rank_, in_features}, options));
    lora_b_ = register_parameter("lora_B", torch::zeros({out_features, rank_}, options));
    ResetAdapter();
  }
}

void LoraLinearImpl::SetBase(const torch::Tensor& dense, const QuantPolicy& policy) {
  TORCH_CHECK(dense.dim() == 2 && dense.size(0) == out_ && dense.size(1) == in_,
              "base weight of shape ", dense.sizes(), " for a [", out_, ", ", in_, "] projection");
  base_.Set(dense, policy, policy.Quantizes("proj"));
}

void LoraLinearImpl::ResetAdapter() {
  if (rank_ == 0) return;
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a=sqrt(5)) on [R, in] is U(-1/sqrt(in), 1/sqrt(in)), PEFT's default.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  lora_a_.uniform_(-bound, bound);
  lora_b_.zero_();
}

torch::Tensor LoraLinearImpl::GradientsOnly(const torch::Tensor& x) {
  return Project(x, /*output_needed=*/false);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  return Project(x, /*output_needed=*/true);
}

torch::Tensor LoraLinearImpl::Project(const torch::Tensor& x, bool output_needed) {
  const bool adapter = rank_ > 0 && adapter_enabled_;
  const bool frozen = base_.quantized() || !base_.dense().requires_grad();
  // Dropout only in training, with or without autograd (a checkpointed layer's first forward
  // draws the masks its recompute draws again).
  const double p = is_training() ? dropout_ : 0.0;
  if (adapter && frozen && fused_) {
    return LoraProjection(x, base_, lora_a_, lora_b_, p, scaling(), output_needed);
  }
  auto y = base_.quantized() ? Linear4bit(x, base_.four_bit())
                             : torch::nn::functional::linear(x, base_.dense());
  if (!adapter) return y;
  // Unfused (a base weight that trains, or QLSWEEP_FUSED_OPS without lora): autograd through
  // the plain expression.
  auto h = p > 0.0 ? torch::dropout(x, p, /*train=*/true) : x;
  auto update = torch::nn::functional::linear(torch::nn::functional::linear(h, lora_a_), lora_b_);
  return y + update * scaling();
}

}  // namespace qlsweep::trainer
