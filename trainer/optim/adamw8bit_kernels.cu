// The fused 8-bit blockwise AdamW kernel (bitsandbytes' kOptimizer8bit2StateBlockwise, block 256).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "trainer/optim/adamw8bit_kernels.h"
#include "trainer/quant/float_convert.cuh"

namespace qlsweep::trainer::kernels {
namespace {

constexpr int kBlock = 256;  // elements per absmax = threads per thread block
constexpr int kWarps = kBlock / 32;

// Max over the thread block; every thread gets the result. scratch: [kWarps] shared floats.
__device__ float BlockMax(float x, float* scratch) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  float r = scratch[0];
  for (int w = 1; w < kWarps; ++w) r = fmaxf(r, scratch[w]);
  __syncthreads();  // scratch is reused by the next call
  return r;
}

// Nearest map index of x (ties to the lower one): the number of midpoints strictly below x, as
// torch.bucketize(x, mid, right=False) counts them. mid: [255] sorted.
__device__ int Nearest(const float* mid, float x) {
  int lo = 0, hi = 255;
  while (lo < hi) {
    const int half = (lo + hi) / 2;
    if (mid[half] < x) {
      lo = half + 1;
    } else {
      hi = half;
    }
  }
  return lo;
}

// Every arithmetic step uses the explicitly rounded intrinsics (no FMA contraction), in the
// order of the torch path (trainer/optim/adamw8bit_update.cpp), so both give the same bits.
template <typename T>
__global__ void __launch_bounds__(kBlock)
    Adam8bitBlockwiseKernel(T* __restrict__ p, const T* __restrict__ g,
                            uint8_t* __restrict__ m_codes, uint8_t* __restrict__ v_codes,
                            float* __restrict__ m_absmax, float* __restrict__ v_absmax,
                            const float* __restrict__ m_code, const float* __restrict__ v_code,
                            const float* __restrict__ m_mid, const float* __restrict__ v_mid,
                            Adam8bitScalars s, int64_t n) {
  __shared__ float code1[256], code2[256], mid1[256], mid2[256], scratch[kWarps];
  const int t = threadIdx.x;
  code1[t] = m_code[t];
  code2[t] = v_code[t];
  if (t < 255) {
    mid1[t] = m_mid[t];
    mid2[t] = v_mid[t];
  }
  const int64_t block = blockIdx.x;
  const int64_t i = block * kBlock + t;
  const bool valid = i < n;
  const float a1 = m_absmax[block], a2 = v_absmax[block];
  __syncthreads();

  float m = 0.0f, v = 0.0f, grad = 0.0f;
  if (valid) {
    grad = ToFloat(g[i]);
    m = __fmul_rn(code1[m_codes[i]], a1);
    v = __fmul_rn(code2[v_codes[i]], a2);
    m = __fadd_rn(__fmul_rn(m, s.beta1), __fmul_rn(grad, s.one_minus_beta1));
    v = __fadd_rn(__fmul_rn(v, s.beta2), __fmul_rn(__fmul_rn(grad, s.one_minus_beta2), grad));
  }
  const float new_a1 = BlockMax(fabsf(m), scratch);
  const float new_a2 = BlockMax(fabsf(v), scratch);
  if (t == 0) {
    m_absmax[block] = new_a1;
    v_absmax[block] = new_a2;
  }
  if (!valid) return;

  const float update = __fdiv_rn(m, __fadd_rn(__fsqrt_rn(v), s.eps_scaled));
  float value = __fadd_rn(ToFloat(p[i]), __fmul_rn(update, s.step_size));
  if (s.apply_decay) value = __fmul_rn(value, s.decay);
  p[i] = FromFloat<T>(value);

  const float x1 = __fdiv_rn(m, new_a1 > 0.0f ? new_a1 : 1.0f);
  const float x2 = __fdiv_rn(v, new_a2 > 0.0f ? new_a2 : 1.0f);
  int c1 = Nearest(mid1, x1);
  // Keep m's sign through quantization (bitsandbytes): a nonzero m never rounds across zero.
  if (m != 0.0f && signbit(code1[c1]) != signbit(m)) c1 += m > 0.0f ? 1 : -1;
  m_codes[i] = static_cast<uint8_t>(c1);
  v_codes[i] = static_cast<uint8_t>(Nearest(mid2, x2));
}

template <typename T>
cudaError_t Launch(void* p, const void* g, uint8_t* m_codes, uint8_t* v_codes, float* m_absmax,
                   float* v_absmax, const float* m_code, const float* v_code, const float* m_mid,
                   const float* v_mid, Adam8bitScalars s, int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  Adam8bitBlockwiseKernel<T><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(
      static_cast<T*>(p), static_cast<const T*>(g), m_codes, v_codes, m_absmax, v_absmax, m_code,
      v_code, m_mid, v_mid, s, n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchAdam8bitBlockwise(ParamType type, void* p, const void* g, uint8_t* m_codes,
                                    uint8_t* v_codes, float* m_absmax, float* v_absmax,
                                    const float* m_code, const float* v_code, const float* m_mid,
                                    const float* v_mid, Adam8bitScalars s, int64_t n,
                                    cudaStream_t stream) {
  switch (type) {
    case ParamType::kF32:
      return Launch<float>(p, g, m_codes, v_codes, m_absmax, v_absmax, m_code, v_code, m_mid, v_mid,
                           s, n, stream);
    case ParamType::kBF16:
      return Launch<__nv_bfloat16>(p, g, m_codes, v_codes, m_absmax, v_absmax, m_code, v_code,
                                   m_mid, v_mid, s, n, stream);
    case ParamType::kF16:
      return Launch<__half>(p, g, m_codes, v_codes, m_absmax, v_absmax, m_code, v_code, m_mid,
                            v_mid, s, n, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace qlsweep::trainer::kernels
