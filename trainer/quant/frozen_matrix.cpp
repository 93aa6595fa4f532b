// Quantization policy and dense-or-4-bit storage of frozen weights.
#include "trainer/quant/frozen_matrix.h"

namespace qlsweep::trainer {

bool QuantPolicy::Quantizes(const std::string& kind) const {
  if (type == "none" || kind == "norm") return false;
  if (kind == "proj") return true;
  return skip.count(kind) == 0;
}

void FrozenMatrix::Set(const torch::Tensor& dense, const QuantPolicy& policy, bool quantize) {
  if (quantize) {
    q_ = Quantize4bit(dense, ParseFourBitType(policy.type), policy.block, policy.double_quant);
    dense_ = torch::Tensor();
  } else {
    dense_ = dense;
    q_.reset();
  }
}

torch::Tensor FrozenMatrix::Get(torch::Dtype dtype) const {
  if (q_) return Dequantize4bit(*q_, dtype);
  return dense_.scalar_type() == dtype ? dense_ : dense_.to(dtype);
}

int64_t FrozenMatrix::Bytes() const {
  if (q_) return q_->StorageBytes();
  return dense_.defined() ? static_cast<int64_t>(dense_.nbytes()) : 0;
}

std::vector<torch::Tensor*> FrozenMatrix::Tensors() {
  if (!q_)
    return dense_.defined() ? std::vector<torch::Tensor*>{&dense_} : std::vector<torch::Tensor*>{};
  if (q_->double_quant) return {&q_->packed, &q_->absmax_codes, &q_->absmax2};
  return {&q_->packed, &q_->absmax};
}

}  // namespace qlsweep::trainer
