// A port of bitsandbytes' create_dynamic_map and of its blockwise 8-bit (de)quantization.
#include "trainer/quant/dynamic_map.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace qlsweep::trainer {
namespace {

// torch.linspace(0.1, 1, n) in float32, then the means of neighbours, as float32 like torch.
std::vector<float> Means(int64_t n) {
  auto bounds = torch::linspace(0.1, 1.0, n, torch::kFloat32);
  auto means = (bounds.narrow(0, 0, n - 1) + bounds.narrow(0, 1, n - 1)) / 2.0;
  return {means.data_ptr<float>(), means.data_ptr<float>() + means.numel()};
}

}  // namespace

torch::Tensor DynamicMap(bool is_signed) {
  constexpr int kMaxExponentBits = 7, kTotalBits = 8;
  constexpr int kNonSignBits = kTotalBits - 1;
  std::vector<double> data;  // python floats: float32 means times a python float power of 10
  int i = 0;
  for (; i < kMaxExponentBits; ++i) {
    const int64_t items = is_signed ? (int64_t{1} << (i + kNonSignBits - kMaxExponentBits)) + 1
                                    : (int64_t{1} << (i + kNonSignBits - kMaxExponentBits + 1)) + 1;
    const double scale = std::pow(10.0, -(kMaxExponentBits - 1) + i);
    for (float m : Means(items)) data.push_back(scale * static_cast<double>(m));
    if (is_signed) {
      for (float m : Means(items)) data.push_back(-scale * static_cast<double>(m));
    }
  }
  const int64_t additional = (int64_t{1} << (kNonSignBits - kMaxExponentBits)) - 1;  // 0 here
  if (additional > 0) {
    const double scale = std::pow(10.0, -(kMaxExponentBits - 1) + (i - 1));
    for (float m : Means(additional + 1)) data.push_back(scale * static_cast<double>(m));
    if (is_signed) {
      for (float m : Means(additional + 1)) data.push_back(-scale * static_cast<double>(m));
    }
  }
  data.push_back(0.0);
  data.push_back(1.0);
  while (data.size() < 256) data.push_back(0.0);
  std::sort(data.begin(), data.end());
  std::vector<float> values(data.begin(), data.end());
  return torch::tensor(values, torch::kFloat32);
}

Blockwise8bit QuantizeBlockwise8bit(const torch::Tensor& x, const torch::Tensor& code,
                                    int64_t block) {
  auto flat = x.reshape({-1}).to(torch::kFloat32);
  const int64_t n = flat.numel();
  const int64_t blocks = (n + block - 1) / block;
  auto padded = torch::nn::functional::pad(
      flat, torch::nn::functional::PadFuncOptions({0, blocks * block - n}));
  auto absmax = padded.view({blocks, block}).abs().amax(1);  // [blocks]
  auto scaled = (padded.view({blocks, block}) * (1.0 / absmax.clamp_min(1e-38)).unsqueeze(1))
                    .clamp(-1, 1)
                    .reshape({-1})
                    .narrow(0, 0, n);
  auto mid = (code.narrow(0, 0, 255) + code.narrow(0, 1, 255)) / 2;
  auto codes = torch::bucketize(scaled, mid, /*out_int32=*/true).to(torch::kUInt8);
  return {codes, absmax};
}

torch::Tensor DequantizeBlockwise8bit(const Blockwise8bit& q, const torch::Tensor& code,
                                      int64_t block) {
  const int64_t n = q.codes.numel();
  auto values = code.index({q.codes.to(torch::kInt64)});  // [N]
  auto scale = q.absmax.repeat_interleave(block).narrow(0, 0, n);
  return values * scale;
}

}  // namespace qlsweep::trainer
