// LoraLinear: a frozen base projection (dense or 4-bit) plus a trainable low-rank adapter (LoRA).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "trainer/quant/frozen_matrix.h"

namespace qlsweep::trainer {

// y = x W^T + (alpha / r) * dropout(x) A^T B^T, with W frozen and only A, B trainable.
// B starts at zero, so a fresh adapter leaves the base output unchanged (as PEFT does).
// With a 4-bit W this is QLoRA: W is dequantized for the GEMM (trainer/quant/linear_4bit.h).
class LoraLinearImpl : public torch::nn::Module {
 public:
  // rank 0 builds a plain frozen linear (no adapter). The adapter is allocated with `options`
  // (A ~ kaiming_uniform(a=sqrt(5)) as PEFT, B = 0). The base starts as W ~ N(0, 0.02^2) when
  // `random_base`, else unset until SetBase.
  LoraLinearImpl(int64_t in_features, int64_t out_features, int64_t rank, double alpha,
                 double dropout, const torch::TensorOptions& options, bool random_base = true);

  // x: [..., in] (compute dtype) -> [..., out] (compute dtype).
  torch::Tensor forward(const torch::Tensor& x);
  // forward's graph where only gradients are wanted from the result (a checkpoint's recompute of
  // a layer's last projection): with the fused path the base GEMM is skipped and the values
  // returned are unset; otherwise forward itself.
  torch::Tensor GradientsOnly(const torch::Tensor& x);

  // dense: [out, in] on the adapter's device in the compute dtype; quantized per `policy`.
  void SetBase(const torch::Tensor& dense, const QuantPolicy& policy);
  const FrozenMatrix& base() const { return base_; }
  FrozenMatrix& mutable_base() { return base_; }
  // Re-draws A from the global RNG and zeroes B.
  void ResetAdapter();

  bool has_adapter() const { return rank_ > 0; }
  // Off: forward returns the base projection only. On by default.
  void set_adapter_enabled(bool on) { adapter_enabled_ = on; }
  // On (the default): a frozen base and the adapter run as one fused autograd function
  // (trainer/peft/lora_projection.h); off: autograd through the plain expression.
  void set_fused(bool on) { fused_ = on; }
  double scaling() const { return rank_ > 0 ? alpha_ / static_cast<double>(rank_) : 0.0; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  // The dense base weight [out, in]; undefined when the base is 4-bit.
  const torch::Tensor& weight() const { return base_.dense(); }
  torch::Tensor lora_a() const { return lora_a_; }  // [R, in], trainable
  torch::Tensor lora_b() const { return lora_b_; }  // [out, R], trainable

 private:
  torch::Tensor Project(const torch::Tensor& x, bool output_needed);

  int64_t in_, out_, rank_;
  double alpha_;
  double dropout_;
  bool adapter_enabled_ = true;
  bool fused_ = true;
  FrozenMatrix base_;
  torch::Tensor lora_a_;
  torch::Tensor lora_b_;
};
TORCH_MODULE(LoraLinear);

// Projections with their HF module paths, e.g. {"model.layers.0.self_attn.q_proj", q}.
using NamedProjections = std::vector<std::pair<std::string, LoraLinear>>;

}  // namespace qlsweep::trainer
