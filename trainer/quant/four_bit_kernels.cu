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

template <typename T>
void Launch(const uint8_t* packed, const float* absmax, const uint8_t* codes, const float* absmax2,
            float offset, int type, int block_shift, int64_t n, void* out, cudaStream_t stream) {
  constexpr int kThreads = 256;
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
                                 cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (out_type) {
    case OutType::kF32:
      Launch<float>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n, out,
                    stream);
      break;
    case OutType::kBF16:
      Launch<__nv_bfloat16>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n,
                            out, stream);
      break;
    case OutType::kF16:
      Launch<__half>(packed, absmax, absmax_codes, absmax2, offset, type, block_shift, n, out,
                     stream);
      break;
  }
  return cudaGetLastError();
}

}  // namespace qlsweep::trainer::kernels
