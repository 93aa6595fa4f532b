// The torch-op path of the 8-bit blockwise AdamW update, its maps and its scalars.
#include "trainer/optim/adamw8bit_update.h"

#include <cmath>
#include <stdexcept>

#include "trainer/quant/dynamic_map.h"

namespace qlsweep::trainer {
namespace {

// x: [N] float32 -> [N] float32, each value's block absmax (blocks of kAdam8bitBlock).
torch::Tensor PerElement(const torch::Tensor& absmax, int64_t n) {
  return absmax.repeat_interleave(kAdam8bitBlock).narrow(0, 0, n);
}

// x: [N] float32 -> [ceil(N/256)] float32, max |x| of each block (a short last block allowed).
torch::Tensor BlockAbsmax(const torch::Tensor& x) {
  const int64_t n = x.numel(), blocks = (n + kAdam8bitBlock - 1) / kAdam8bitBlock;
  auto padded = torch::nn::functional::pad(
      x.abs(), torch::nn::functional::PadFuncOptions({0, blocks * kAdam8bitBlock - n}));
  return padded.view({blocks, kAdam8bitBlock}).amax(1);
}

// x: [N] float32, absmax: [blocks] float32 -> [N] int64 nearest codes of x / absmax (an all-zero
// block divides by 1), ties to the lower index, as the kernel's binary search over `mid`.
torch::Tensor Quantize(const torch::Tensor& x, const torch::Tensor& absmax,
                       const torch::Tensor& mid) {
  auto divisor = torch::where(absmax > 0, absmax, torch::ones_like(absmax));
  return torch::bucketize(x / PerElement(divisor, x.numel()), mid);
}

double F(float x) { return static_cast<double>(x); }  // a float scalar, passed exactly to torch

}  // namespace

Adam8bitMaps MakeAdam8bitMaps(const torch::Device& device) {
  Adam8bitMaps maps;
  auto m_code = DynamicMap(/*is_signed=*/true), v_code = DynamicMap(/*is_signed=*/false);
  maps.m_zero = m_code.abs().argmin().item<int64_t>();
  maps.v_zero = v_code.abs().argmin().item<int64_t>();
  auto mid = [](const torch::Tensor& c) { return (c.narrow(0, 0, 255) + c.narrow(0, 1, 255)) / 2; };
  maps.m_mid = mid(m_code).to(device);
  maps.v_mid = mid(v_code).to(device);
  maps.m_code = m_code.to(device);
  maps.v_code = v_code.to(device);
  return maps;
}

Adam8bitScalars MakeAdam8bitScalars(const AdamHyper& hyper, double lr, int64_t t) {
  const double bias1 = 1 - std::pow(hyper.beta1, static_cast<double>(t));
  const double root2 = std::sqrt(1 - std::pow(hyper.beta2, static_cast<double>(t)));
  Adam8bitScalars s;
  s.beta1 = static_cast<float>(hyper.beta1);
  s.one_minus_beta1 = static_cast<float>(1 - hyper.beta1);
  s.beta2 = static_cast<float>(hyper.beta2);
  s.one_minus_beta2 = static_cast<float>(1 - hyper.beta2);
  s.step_size = static_cast<float>(-lr * root2 / bias1);
  s.eps_scaled = static_cast<float>(hyper.eps * root2);
  s.decay = static_cast<float>(1 - lr * hyper.weight_decay);
  s.apply_decay = hyper.weight_decay > 0;
  return s;
}

void Adam8bitUpdateTorch(torch::Tensor& param, const torch::Tensor& grad, Adam8bitState& state,
                         const Adam8bitMaps& maps, const Adam8bitScalars& s) {
  torch::NoGradGuard no_grad;
  if (!param.is_contiguous()) throw std::invalid_argument("8-bit AdamW: param not contiguous");
  const int64_t n = param.numel();
  auto g = grad.reshape({-1}).to(torch::kFloat32);  // [N]
  torch::Tensor m, v;                               // [N] float32
  if (state.is_8bit()) {
    m = maps.m_code.index_select(0, state.m_codes.to(torch::kLong)) * PerElement(state.m_absmax, n);
    v = maps.v_code.index_select(0, state.v_codes.to(torch::kLong)) * PerElement(state.v_absmax, n);
  } else {
    m = state.m;
    v = state.v;
  }
  m = m * F(s.beta1) + g * F(s.one_minus_beta1);
  v = v * F(s.beta2) + (g * F(s.one_minus_beta2)) * g;

  auto update = m / (v.sqrt() + F(s.eps_scaled));
  auto value = param.reshape({-1}).to(torch::kFloat32) + update * F(s.step_size);
  if (s.apply_decay) value = value * F(s.decay);
  param.view({-1}).copy_(value);

  if (!state.is_8bit()) {
    state.m.copy_(m);
    state.v.copy_(v);
    return;
  }
  auto m_absmax = BlockAbsmax(m), v_absmax = BlockAbsmax(v);
  auto c1 = Quantize(m, m_absmax, maps.m_mid);  // [N] int64
  auto crossed = torch::signbit(maps.m_code.index_select(0, c1)).ne(torch::signbit(m)) & m.ne(0);
  auto toward_m = torch::where(m > 0, torch::ones_like(c1), -torch::ones_like(c1));  // [N] int64
  c1 = c1 + toward_m * crossed.to(torch::kLong);
  state.m_codes.copy_(c1);
  state.v_codes.copy_(Quantize(v, v_absmax, maps.v_mid));
  state.m_absmax.copy_(m_absmax);
  state.v_absmax.copy_(v_absmax);
}

}  // namespace qlsweep::trainer
