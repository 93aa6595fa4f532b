// LoRA forward: base GEMM on the frozen weight plus the scaled low-rank update.
#include "trainer/peft/lora_linear.h"

#include <cmath>

namespace qlsweep::trainer {

LoraLinearImpl::LoraLinearImpl(int64_t in_features, int64_t out_features, int64_t rank,
                               double alpha, double dropout, const torch::TensorOptions& options)
    : rank_(rank), alpha_(alpha), dropout_(dropout) {
  torch::NoGradGuard no_grad;
  weight_ = register_buffer("weight", torch::empty({out_features, in_features}, options));
  weight_.normal_(0.0, 0.02);
  if (rank_ > 0) {
    lora_a_ = register_parameter("lora_A", torch::empty({rank_, in_features}, options));
    lora_b_ = register_parameter("lora_B", torch::zeros({out_features, rank_}, options));
    ResetAdapter();
  }
}

void LoraLinearImpl::ResetAdapter() {
  if (rank_ == 0) return;
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a=sqrt(5)) on [R, in] is U(-1/sqrt(in), 1/sqrt(in)), PEFT's default.
  const double bound = 1.0 / std::sqrt(static_cast<double>(lora_a_.size(1)));
  lora_a_.uniform_(-bound, bound);
  lora_b_.zero_();
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight_);
  if (rank_ == 0) return y;
  auto h = dropout_ > 0.0 ? torch::dropout(x, dropout_, is_training()) : x;
  auto update = torch::nn::functional::linear(torch::nn::functional::linear(h, lora_a_), lora_b_);
  return y + update * scaling();
}

}  // namespace qlsweep::trainer
