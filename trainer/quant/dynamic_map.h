// bitsandbytes' 8-bit "dynamic" (tree) quantization maps and blockwise 8-bit quantization.
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

// The 256 sorted float32 values of bitsandbytes.functional.create_dynamic_map(signed,
// max_exponent_bits=7, total_bits=8): signed for Adam's first moment and for the second-level
// absmax of double quantization, unsigned for Adam's second moment. Returns a CPU tensor [256].
torch::Tensor DynamicMap(bool is_signed);

struct Blockwise8bit {
  torch::Tensor codes;   // [N] uint8: index into the map
  torch::Tensor absmax;  // [ceil(N / block)] float32
};

// x: [N] float32 (any device); code: [256] sorted float32 map on x's device. Per block of
// `block` values: absmax = max|x| (a short last block allowed), code index = nearest map value to
// x / absmax, ties to the lower index (torch.bucketize on the midpoints, as bitsandbytes does).
Blockwise8bit QuantizeBlockwise8bit(const torch::Tensor& x, const torch::Tensor& code,
                                    int64_t block);

// Inverse of QuantizeBlockwise8bit: [N] float32 = code[codes] * absmax[block of each value].
torch::Tensor DequantizeBlockwise8bit(const Blockwise8bit& q, const torch::Tensor& code,
                                      int64_t block);

}  // namespace qlsweep::trainer
