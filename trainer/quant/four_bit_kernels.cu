// The dequantization kernel: packed nibbles x (double-quantized) absmax -> fp32/bf16/fp16.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "trainer/quant/float_convert.cuh"
#include "trainer/quant/four_bit_kernels.h"

namespace qlsweep::trainer::kernels {
namespace {

__constant__ float kCode4[2][16];  // [nf4, fp4] values by code
__constant__ float kCode8[256];    // the signed dynamic map (second level of double quant)

// One thread per packed byte: two outputs that share one absmax (the block size is even).
template <typename T>
__global__ void Dequantize4bitKernel(const uint8_t* __restrict__ packed,
                                     const float* __restrict__ absmax,
                                     const uint8_t* __restrict__ absmax_codes,
                                     const float* __restrict__ absmax2, float offset, int type,
                                     int block_shift, int64_t n, T* __restrict__ out) {
  const int64_t byte = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t first = byte * 2;
  if (first >= n) return;
  const int64_t b = first >> block_shift;
  const float scale =
      absmax != nullptr ? absmax[b] : kCode8[absmax_codes[b]] * absmax2[b >> 8] + offset;
  const uint8_t v = packed[byte];
  out[first] = FromFloat<T>(kCode4[type][v >> 4] * scale);
  if (first + 1 < n) out[first + 1] = FromFloat<T>(kCode4[type][v & 0xF] * scale);
}

// Eight outputs per thread from one 32-bit load of four packed bytes (n % 8 == 0, aligned
// pointers): the eight share one absmax (a block is at least 32 values), the 16 code values sit in
// shared memory (a warp's divergent nibbles would serialise on constant memory), and the outputs
// leave in 16-byte stores. The same fp32 product as the kernel above, rounded once: bit-identical.
template <typename T>
__global__ void Dequantize4bitVec8Kernel(const uint32_t* __restrict__ packed4,
                                         const float* __restrict__ absmax,
                                         const uint8_t* __restrict__ absmax_codes,
                                         const float* __restrict__ absmax2, float offset, int type,
                                         int block_shift, int64_t groups, T* __restrict__ out) {
  __shared__ float table[16];
  if (threadIdx.x < 16) table[threadIdx.x] = kCode4[type][threadIdx.x];
  __syncthreads();
  const int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (g >= groups) return;
  const int64_t first = g * 8;
  const int64_t b = first >> block_shift;
  const float scale =
      absmax != nullptr ? absmax[b] : kCode8[absmax_codes[b]] * absmax2[b >> 8] + offset;
  const uint32_t v = packed4[g];  // little-endian: packed byte 4g in the low 8 bits
  alignas(16) T vals[8];
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const uint32_t byte = (v >> (8 * j)) & 0xFF;
    vals[2 * j] = FromFloat<T>(table[byte >> 4] * scale);  // high nibble first
    vals[2 * j + 1] = FromFloat<T>(table[byte & 0xF] * scale);
  }
  const uint4* src = reinterpret_cast<const uint4*>(vals);
  uint4* dst = reinterpret_cast<uint4*>(out + first);
#pragma unroll
  for (size_t k = 0; k < sizeof(vals) / sizeof(uint4); ++k) dst[k] = src[k];
}

template <typename T>
void Launch(const uint8_t* packed, const float* absmax, const uint8_t* codes, const float* absmax2,
            float offset, int type, int block_shift, int64_t n, void* out, bool vectorized,
            cudaStream_t stream) {
  constexpr int kThreads = 256;
  const bool aligned =
      reinterpret_cast<uintptr_t>(packed) % 4 == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
  if (vectorized && n % 8 == 0 && block_shift >= 3 && aligned) {
    const int64_t groups = n / 8;
    const auto grid = static_cast<unsigned>((groups + kThreads - 1) / kThreads);
    Dequantize4bitVec8Kernel<T><<<grid, kThreads, 0, stream>>>(
        reinterpret_cast<const uint32_t*>(packed), absmax, codes, absmax2, offset, type,
        block_shift, groups, static_cast<T*>(out));
    return;
  }
  const int64_t bytes = (n + 1) / 2;
  const auto grid = static_cast<unsigned>((bytes + kThreads - 1) / kThreads);
  Dequantize4bitKernel<T><<<grid, kThreads, 0, stream>>>(
      packed, absmax, codes, absmax2, offset, type, block_shift, n, static_cast<T*>(out));
}

}  // namespace

void UploadFourBitTables(const float* nf4, const float* fp4, const float* dynamic_signed) {
  float code4[2][16];
  for (int i = 0; i < 16; ++i) {
    code4[0][i] = nf4[i];
    code4[1][i] = fp4[i];
  }
  cudaMemcpyToSymbol(kCode4, code4, sizeof(code4));
  cudaMemcpyToSymbol(kCode8, dynamic_signed, 256 * sizeof(float));
}

cudaError_t LaunchDequantize4bit(const uint8_t* packed, const float* absmax,
                                 const uint8_t* absmax_codes, const float* absmax2, float offset,
                                 int type, int block_shift, int64_t n, OutType out_type, void* out,
                                 bool vectorized, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (out_type) {
    case OutType::kF32:
      Launch<float>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n, out,
                    vectorized, stream);
      break;
    case OutType::kBF16:
      Launch<__nv_bfloat16>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n,
                            out, vectorized, stream);
      break;
    case OutType::kF16:
      Launch<__half>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n, out,
                     vectorized, stream);
      break;
  }
  return cudaGetLastError();
}

}  // namespace qlsweep::trainer::kernels
