// Raw CUDA launchers for 4-bit dequantization; no torch types, so nvcc never parses libtorch.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

namespace qlsweep::trainer::kernels {

enum class OutType { kF32, kBF16, kF16 };

// Copies the code tables to constant memory of the current device (call once per process).
// nf4, fp4: the 16 values of each 4-bit code; dynamic_signed: the 256 sorted 8-bit map values.
void UploadFourBitTables(const float* nf4, const float* fp4, const float* dynamic_signed);

// packed: [ceil(n/2)] uint8 (first element in the high nibble); either absmax: [blocks] float32,
// or absmax_codes: [blocks] uint8 + absmax2: [ceil(blocks/256)] float32 + offset (double quant);
// type 0 = nf4, 1 = fp4; block = 1 << block_shift; out: [n] of out_type. `vectorized` takes the
// eight-outputs-per-thread kernel where n % 8 == 0 and the pointers are aligned (else, and when
// false, one packed byte per thread); both give the same bits. Returns the launch error.
cudaError_t LaunchDequantize4bit(const uint8_t* packed, const float* absmax,
                                 const uint8_t* absmax_codes, const float* absmax2, float offset,
                                 int type, int block_shift, int64_t n, OutType out_type, void* out,
                                 bool vectorized, cudaStream_t stream);

}  // namespace qlsweep::trainer::kernels
