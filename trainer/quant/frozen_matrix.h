// FrozenMatrix: a frozen weight held either dense (compute dtype) or 4-bit, and the policy that
// decides which weights are quantized (kept apart from the bit format in four_bit.h).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "trainer/quant/four_bit.h"

namespace qlsweep::trainer {

// Which frozen weights become 4-bit: the 7 projections always (unless type is "none");
// embeddings and lm_head only when left out of `skip`; norms never (1-D, a few KB).
struct QuantPolicy {
  std::string type = "none";  // none | nf4 | fp4
  int64_t block = 64;
  bool double_quant = true;
  std::set<std::string> skip = {"embed", "norm", "lm_head"};

  bool Quantizes(const std::string& kind) const;  // kind: proj, embed, norm, lm_head
};

class FrozenMatrix {
 public:
  // dense: [rows, cols] on the target device in the compute dtype; quantized when `quantize`.
  void Set(const torch::Tensor& dense, const QuantPolicy& policy, bool quantize);
  bool defined() const { return dense_.defined() || q_.has_value(); }
  bool quantized() const { return q_.has_value(); }
  // [rows, cols] in `dtype`: the tensor itself when dense, a fresh dequantized copy when 4-bit.
  torch::Tensor Get(torch::Dtype dtype) const;
  const torch::Tensor& dense() const { return dense_; }
  const FourBitWeight& four_bit() const { return *q_; }
  int64_t Bytes() const;
  // The tensors that hold the weight (dense; or packed codes and scales), as slots a sharder may
  // re-point at other storage of the same dtype and shape.
  std::vector<torch::Tensor*> Tensors();

 private:
  torch::Tensor dense_;
  std::optional<FourBitWeight> q_;
};

}  // namespace qlsweep::trainer
