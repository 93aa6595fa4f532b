// CUDA dequantization of 4-bit weights (NF4/FP4, with or without double quantization).
#pragma once

#include <torch/torch.h>

#include "trainer/quant/four_bit.h"

namespace qlsweep::trainer {

#if QLSWEEP_WITH_CUDA
// q on a CUDA device -> tensor of q.shape in dtype (bf16, fp16 or fp32) on that device, on the
// current stream. One pass: each thread expands four packed bytes into eight values (or, with
// `vectorized` false or a ragged size, one byte into two; the same bits either way).
torch::Tensor Dequantize4bitCuda(const FourBitWeight& q, torch::Dtype dtype,
                                 bool vectorized = true);
#endif

}  // namespace qlsweep::trainer
