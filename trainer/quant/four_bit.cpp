// 4-bit quantization in torch ops (the reference path); bitsandbytes' algorithm step for step.
#include "trainer/quant/four_bit.h"

#include <stdexcept>

#include "trainer/quant/dynamic_map.h"
#include "trainer/quant/four_bit_cuda.h"

namespace qlsweep::trainer {
namespace {

constexpr int64_t kAbsmaxBlock = 256;  // second-level block of double quantization

// bitsandbytes' NF4 values (normal-float quantiles) and FP4 values (e2m1 with bnb's scaling).
const float kNf4[16] = {-1.0f,
                        -0.6961928009986877f,
                        -0.5250730514526367f,
                        -0.39491748809814453f,
                        -0.28444138169288635f,
                        -0.18477343022823334f,
                        -0.09105003625154495f,
                        0.0f,
                        0.07958029955625534f,
                        0.16093020141124725f,
                        0.24611230194568634f,
                        0.33791524171829224f,
                        0.44070982933044434f,
                        0.5626170039176941f,
                        0.7229568362236023f,
                        1.0f};
const float kFp4[16] = {0.0f, 1.0f / 192,  2.0f / 3,  1.0f,  1.0f / 3,  0.5f,  1.0f / 6,  0.25f,
                        0.0f, -1.0f / 192, -2.0f / 3, -1.0f, -1.0f / 3, -0.5f, -1.0f / 6, -0.25f};

}  // namespace

FourBitType ParseFourBitType(const std::string& name) {
  if (name == "nf4") return FourBitType::kNf4;
  if (name == "fp4") return FourBitType::kFp4;
  throw std::invalid_argument("unknown 4-bit type '" + name + "' (nf4, fp4)");
}

torch::Tensor FourBitCode(FourBitType type) {
  const float* values = type == FourBitType::kNf4 ? kNf4 : kFp4;
  return torch::from_blob(const_cast<float*>(values), {16}, torch::kFloat32).clone();
}

int64_t FourBitWeight::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t FourBitWeight::StorageBytes() const {
  int64_t bytes = packed.numel();
  if (double_quant) return bytes + absmax_codes.numel() + absmax2.numel() * 4 + 4;
  return bytes + absmax.numel() * 4;
}

FourBitWeight FourBitWeight::To(const torch::Device& device) const {
  FourBitWeight out = *this;
  out.packed = packed.to(device);
  if (absmax.defined()) out.absmax = absmax.to(device);
  if (absmax_codes.defined()) out.absmax_codes = absmax_codes.to(device);
  if (absmax2.defined()) out.absmax2 = absmax2.to(device);
  return out;
}

FourBitWeight Quantize4bit(const torch::Tensor& w, FourBitType type, int64_t block,
                           bool double_quant) {
  if (block < 32 || (block & (block - 1)) != 0) {
    throw std::invalid_argument("4-bit block size must be a power of two >= 32, got " +
                                std::to_string(block));
  }
  FourBitWeight q;
  q.type = type;
  q.block = block;
  q.shape = w.sizes().vec();
  q.double_quant = double_quant;
  // Memory matters here (weights are quantized on the GPU as they load): one fp32 copy, scaled in
  // place, then 32-bit bucket indices narrowed to bytes.
  auto flat = w.reshape({-1}).to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  const int64_t n = flat.numel();
  const int64_t blocks = (n + block - 1) / block;
  if (blocks * block != n) {
    flat = torch::nn::functional::pad(
        flat, torch::nn::functional::PadFuncOptions({0, blocks * block - n}));
  }
  auto grid = flat.view({blocks, block});
  auto absmax = torch::linalg_vector_norm(grid, INFINITY, {1}, false, std::nullopt);  // [blocks]
  grid.mul_((1.0 / absmax.clamp_min(1e-38)).unsqueeze(1)).clamp_(-1, 1);
  auto scaled = flat.narrow(0, 0, n);
  // Nearest code value; a value on a midpoint takes the lower code (torch.bucketize, right=False).
  auto code = FourBitCode(type).to(w.device());
  auto [sorted, order] = code.sort();
  auto mid = (sorted.narrow(0, 0, 15) + sorted.narrow(0, 1, 15)) / 2;
  auto bucket = torch::bucketize(scaled, mid, /*out_int32=*/true);
  flat = torch::Tensor();
  // NF4's table is sorted, so the bucket is the code; FP4's needs the sort order mapped back.
  auto idx = type == FourBitType::kNf4 ? bucket.to(torch::kUInt8)
                                       : order.index({bucket.to(torch::kInt64)}).to(torch::kUInt8);
  bucket = torch::Tensor();
  if (n % 2) idx = torch::cat({idx, torch::zeros({1}, idx.options())});
  q.packed = torch::bitwise_or(idx.slice(0, 0, idx.numel(), 2).bitwise_left_shift(4),
                               idx.slice(0, 1, idx.numel(), 2));
  if (!double_quant) {
    q.absmax = absmax;
    return q;
  }
  // The mean on the CPU whatever the device: a GPU reduction sums in another order, and a last-bit
  // difference in the offset moves absmax codes at bucket edges (CPU and GPU must agree bit for
  // bit, and the CPU path is the one checked against bitsandbytes). absmax is 1/64 of the weight.
  q.offset = absmax.cpu().mean().item<double>();
  auto code2 = DynamicMap(/*is_signed=*/true).to(w.device());
  auto second = QuantizeBlockwise8bit(absmax - q.offset, code2, kAbsmaxBlock);
  q.absmax_codes = second.codes;
  q.absmax2 = second.absmax;
  return q;
}

torch::Tensor Absmax(const FourBitWeight& q) {
  if (!q.double_quant) return q.absmax;
  auto code2 = DynamicMap(/*is_signed=*/true).to(q.absmax_codes.device());
  return DequantizeBlockwise8bit({q.absmax_codes, q.absmax2}, code2, kAbsmaxBlock) + q.offset;
}

torch::Tensor Dequantize4bitReference(const FourBitWeight& q, torch::Dtype dtype) {
  const int64_t n = q.numel();
  auto high = q.packed.bitwise_right_shift(4);
  auto low = q.packed.bitwise_and(0xF);
  auto idx = torch::stack({high, low}, 1).reshape({-1}).narrow(0, 0, n).to(torch::kInt64);
  auto values = FourBitCode(q.type).to(q.packed.device()).index({idx});  // [N] float32
  auto scale = Absmax(q).repeat_interleave(q.block).narrow(0, 0, n);
  return (values * scale).to(dtype).reshape(q.shape);
}

torch::Tensor Dequantize4bit(const FourBitWeight& q, torch::Dtype dtype) {
#if QLSWEEP_WITH_CUDA
  if (q.packed.is_cuda()) return Dequantize4bitCuda(q, dtype);
#endif
  return Dequantize4bitReference(q, dtype);
}

}  // namespace qlsweep::trainer
