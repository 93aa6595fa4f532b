// RoPE as in HF transformers' LlamaRotaryEmbedding (default rope type).
#include "trainer/model/rope.h"

namespace qlsweep::trainer {

std::pair<torch::Tensor, torch::Tensor> RopeTables(int64_t seq_len, int64_t head_dim, double theta,
                                                   const torch::Device& device) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto exponents = torch::arange(0, head_dim, 2, f32) / static_cast<double>(head_dim);
  auto inv_freq = 1.0 / torch::pow(theta, exponents);  // [hd/2]
  auto positions = torch::arange(seq_len, f32);        // [T]
  auto freqs = torch::outer(positions, inv_freq);      // [T, hd/2]
  auto emb = torch::cat({freqs, freqs}, -1);           // [T, hd]
  return {emb.cos(), emb.sin()};
}

torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos,
                        const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, -1);
  return x * cos.to(x.dtype()) + rotated * sin.to(x.dtype());
}

}  // namespace qlsweep::trainer
