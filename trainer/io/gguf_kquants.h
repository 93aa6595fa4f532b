// Dequantization of ggml's k-quant super-blocks (Q4_K, Q5_K, Q6_K: 256 values each) to float32,
// the types of llama.cpp's common Q4_K_M, Q5_K_M and Q6_K files.
#pragma once

#include <cstdint>

namespace qlsweep::trainer {

// Each decodes `blocks` super-blocks at `src` into 256 * blocks floats at `dst`, following ggml's
// dequantize_row_q{4,5,6}_K (ggml-quants.c) operation for operation, so the values equal
// gguf-py's gguf.quants.dequantize bit for bit. Layouts (bytes): Q4_K = d f16, dmin f16,
// scales[12], qs[128]; Q5_K = d, dmin, scales[12], qh[32], qs[128]; Q6_K = ql[128], qh[64],
// int8 scales[16], d f16.
void DequantQ4_K(const uint8_t* src, int64_t blocks, float* dst);
void DequantQ5_K(const uint8_t* src, int64_t blocks, float* dst);
void DequantQ6_K(const uint8_t* src, int64_t blocks, float* dst);

}  // namespace qlsweep::trainer
