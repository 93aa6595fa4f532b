// WriteSafetensors: writes named CPU tensors as one .safetensors file (the HF format).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace qlsweep::trainer {

// Writes `tensors` (any device; F32, F16, BF16, F64, I64, I32, I8, U8, BOOL; copied to the CPU
// and made contiguous) in the given order with `metadata` as "__metadata__". The header is padded
// with spaces to a multiple of 8 bytes, as the Python writer does. The file appears whole or not
// at all: it is written beside `path` and renamed over it. Throws std::runtime_error naming the
// file on any I/O failure and on an unsupported dtype (naming the tensor).
void WriteSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace qlsweep::trainer
