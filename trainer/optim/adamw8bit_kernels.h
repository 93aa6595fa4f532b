// Raw CUDA launcher of the fused 8-bit blockwise AdamW update; no torch types, so nvcc never
// parses libtorch.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "trainer/optim/adamw8bit_scalars.h"

namespace qlsweep::trainer::kernels {

enum class ParamType { kF32, kBF16, kF16 };

// One thread block of 256 threads per 256-element quantization block, one element per thread:
// dequantize m, v; update them in registers; block-reduce the new absmax; update p; requantize.
// p, g: [n] of `type`; m_codes, v_codes: [n] uint8; m_absmax, v_absmax: [ceil(n/256)] float32
// (read, then overwritten with the new absmax); m_code, v_code: [256] float32 maps (signed,
// unsigned); m_mid, v_mid: [255] float32 midpoints of neighbouring map values. All device
// pointers of one device. Returns the launch error (cudaSuccess when it launched).
cudaError_t LaunchAdam8bitBlockwise(ParamType type, void* p, const void* g, uint8_t* m_codes,
                                    uint8_t* v_codes, float* m_absmax, float* v_absmax,
                                    const float* m_code, const float* v_code, const float* m_mid,
                                    const float* v_mid, Adam8bitScalars s, int64_t n,
                                    cudaStream_t stream);

}  // namespace qlsweep::trainer::kernels
