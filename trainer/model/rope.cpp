// RoPE as in HF transformers' LlamaRotaryEmbedding (default and llama3 rope types).
#include "trainer/model/rope.h"

#include <cmath>

namespace qlsweep::trainer {

torch::Tensor Llama3InvFreq(const torch::Tensor& inv_freq, const sweeps::RopeScaling& s) {
  const double old_len = static_cast<double>(s.original_max_seq);
  const double low_freq_wavelen = old_len / s.low_freq_factor;
  const double high_freq_wavelen = old_len / s.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  // Long wavelengths (low frequencies) are stretched by the factor, short ones kept.
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  // The band between is interpolated.
  auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  auto medium = wavelen.ge(high_freq_wavelen).logical_and(wavelen.le(low_freq_wavelen));
  return torch::where(medium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> RopeTables(int64_t seq_len, int64_t head_dim, double theta,
                                                   const torch::Device& device,
                                                   const sweeps::RopeScaling& scaling) {
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto exponents = torch::arange(0, head_dim, 2, f32) / static_cast<double>(head_dim);
  auto inv_freq = 1.0 / torch::pow(theta, exponents);  // [hd/2]
  if (!scaling.freq_factors.empty()) {
    TORCH_CHECK(static_cast<int64_t>(scaling.freq_factors.size()) == head_dim / 2,
                "rope frequency factors: ", scaling.freq_factors.size(), " for head dim ",
                head_dim);
    inv_freq = inv_freq / torch::tensor(scaling.freq_factors, f32);  // llama.cpp's rope_freqs
  } else if (scaling.enabled()) {
    inv_freq = Llama3InvFreq(inv_freq, scaling);
  }
  auto positions = torch::arange(seq_len, f32);    // [T]
  auto freqs = torch::outer(positions, inv_freq);  // [T, hd/2]
  auto emb = torch::cat({freqs, freqs}, -1);       // [T, hd]
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
