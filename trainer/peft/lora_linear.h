// LoraLinear: a frozen base projection plus a trainable low-rank adapter (PEFT's LoRA).
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

// y = x W^T + (alpha / r) * dropout(x) A^T B^T, with W frozen and only A, B trainable.
// B starts at zero, so a fresh adapter leaves the base output unchanged (as PEFT does).
class LoraLinearImpl : public torch::nn::Module {
 public:
  // rank 0 builds a plain frozen linear (no adapter). Weights are allocated with `options`;
  // W ~ N(0, 0.02^2) until real weights are copied in; A ~ kaiming_uniform(a=sqrt(5)) as PEFT.
  LoraLinearImpl(int64_t in_features, int64_t out_features, int64_t rank, double alpha,
                 double dropout, const torch::TensorOptions& options);

  // x: [..., in] (compute dtype) -> [..., out] (compute dtype).
  torch::Tensor forward(const torch::Tensor& x);

  // Re-draws A from the global RNG and zeroes B.
  void ResetAdapter();

  bool has_adapter() const { return rank_ > 0; }
  double scaling() const { return rank_ > 0 ? alpha_ / static_cast<double>(rank_) : 0.0; }
  // The frozen base weight [out, in]; replaceable by real (or dequantized) weights.
  torch::Tensor& weight() { return weight_; }
  torch::Tensor lora_a() const { return lora_a_; }  // [R, in], trainable
  torch::Tensor lora_b() const { return lora_b_; }  // [out, R], trainable

 private:
  int64_t rank_;
  double alpha_;
  double dropout_;
  torch::Tensor weight_;
  torch::Tensor lora_a_;
  torch::Tensor lora_b_;
};
TORCH_MODULE(LoraLinear);

}  // namespace qlsweep::trainer
