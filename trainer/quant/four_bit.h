// NF4 and FP4 blockwise 4-bit quantization with optional double quantization, bit-compatible
// with bitsandbytes' quantize_4bit / dequantize_4bit.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace qlsweep::trainer {

enum class FourBitType { kNf4, kFp4 };

// Parses "nf4" | "fp4"; throws std::invalid_argument otherwise.
FourBitType ParseFourBitType(const std::string& name);

// The 16 values of the 4-bit code, indexed by code: [16] float32 CPU (bitsandbytes' tables).
torch::Tensor FourBitCode(FourBitType type);

// A weight in 4-bit form. Layout, as bitsandbytes stores it:
// - packed: [ceil(N/2)] uint8, element 2i in the HIGH nibble, 2i+1 in the low nibble;
// - without double quantization: absmax [ceil(N/block)] float32;
// - with double quantization: absmax_codes [ceil(N/block)] uint8 on the signed dynamic map,
//   absmax2 [ceil(ceil(N/block)/256)] float32, and offset (the mean of the absmax values):
//   absmax = code2[absmax_codes] * absmax2[i / 256] + offset.
struct FourBitWeight {
  FourBitType type = FourBitType::kNf4;
  int64_t block = 64;
  std::vector<int64_t> shape;  // of the original tensor, e.g. {out, in}
  torch::Tensor packed;
  bool double_quant = false;
  torch::Tensor absmax;        // float32 (double_quant == false)
  torch::Tensor absmax_codes;  // uint8 (double_quant == true)
  torch::Tensor absmax2;       // float32 (double_quant == true)
  double offset = 0.0;         // (double_quant == true)

  int64_t numel() const;
  // Bytes held on the device: packed codes plus scales.
  int64_t StorageBytes() const;
  FourBitWeight To(const torch::Device& device) const;
};

// w: any shape, float dtype, any device -> 4-bit on w's device. block: a power of two >= 32.
FourBitWeight Quantize4bit(const torch::Tensor& w, FourBitType type, int64_t block,
                           bool double_quant);

// The first-level absmax values: [ceil(N/block)] float32 (undoes double quantization).
torch::Tensor Absmax(const FourBitWeight& q);

// -> tensor of q.shape in `dtype` on q's device. Values are code * absmax computed in float32
// and then cast, as bitsandbytes does. Uses the CUDA kernel (trainer/quant/four_bit_cuda.cu) for
// CUDA tensors and torch ops on the CPU.
torch::Tensor Dequantize4bit(const FourBitWeight& q, torch::Dtype dtype);

// The torch-op reference path of Dequantize4bit, on any device.
torch::Tensor Dequantize4bitReference(const FourBitWeight& q, torch::Dtype dtype);

}  // namespace qlsweep::trainer
