// The decoder layer's fused elementwise kernels (see fused_kernels.h): one read of each input, one
// write of each output, 16-byte accesses where sizes and addresses allow.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "trainer/model/fused_kernels.h"
#include "trainer/quant/float_convert.cuh"

namespace qlsweep::trainer::kernels {
namespace {

constexpr int kThreads = 256;

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename T, int N>
__device__ inline Pack<T, N> Load(const T* p) {
  return *reinterpret_cast<const Pack<T, N>*>(p);
}

template <typename T, int N>
__device__ inline void Store(T* p, const Pack<T, N>& v) {
  *reinterpret_cast<Pack<T, N>*>(p) = v;
}

// What a T tensor holds after an op computed in float32 (round to nearest even).
template <typename T>
__device__ inline float Round(float v) {
  return ToFloat(FromFloat<T>(v));
}

bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

int64_t Blocks(int64_t threads) { return (threads + kThreads - 1) / kThreads; }

// ---- RoPE: one thread per N (x1, x2) pairs of one head --------------------------------------

template <typename T, int N>
__global__ void RopeKernel(const T* __restrict__ x, const float* __restrict__ cos,
                           const float* __restrict__ sin, int64_t vectors, int heads, int half,
                           int seq, bool backward, T* __restrict__ out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= vectors) return;
  const int per_head = half / N;
  const int64_t head_row = i / per_head;  // over tokens * heads
  const int j0 = static_cast<int>(i % per_head) * N;
  const int hd = 2 * half;
  const int pos = static_cast<int>((head_row / heads) % seq);
  const T* xr = x + head_row * hd;
  T* o = out + head_row * hd;
  const float* c = cos + static_cast<int64_t>(pos) * hd;
  const float* s = sin + static_cast<int64_t>(pos) * hd;
  const Pack<T, N> a = Load<T, N>(xr + j0), b = Load<T, N>(xr + half + j0);
  Pack<T, N> oa, ob;
#pragma unroll
  for (int k = 0; k < N; ++k) {
    const int j = j0 + k;
    const float x1 = ToFloat(a.v[k]), x2 = ToFloat(b.v[k]);
    const float c1 = Round<T>(c[j]), c2 = Round<T>(c[j + half]);
    const float s1 = Round<T>(s[j]), s2 = Round<T>(s[j + half]);
    if (!backward) {  // [x1 c1 - x2 s1, x2 c2 + x1 s2]
      oa.v[k] = FromFloat<T>(Round<T>(x1 * c1) - Round<T>(x2 * s1));
      ob.v[k] = FromFloat<T>(Round<T>(x2 * c2) + Round<T>(x1 * s2));
    } else {  // the transpose: [g1 c1 + g2 s2, g2 c2 - g1 s1]
      oa.v[k] = FromFloat<T>(Round<T>(x1 * c1) + Round<T>(x2 * s2));
      ob.v[k] = FromFloat<T>(Round<T>(x2 * c2) - Round<T>(x1 * s1));
    }
  }
  Store<T, N>(o + j0, oa);
  Store<T, N>(o + half + j0, ob);
}

template <typename T>
cudaError_t Rope(const T* x, const float* cos, const float* sin, int64_t tokens, int heads,
                 int half, int seq, bool backward, T* out, cudaStream_t stream) {
  constexpr int kVec = 16 / sizeof(T);
  const bool vec = half % kVec == 0 && Aligned(x) && Aligned(out);
  const int n = vec ? kVec : 1;
  const int64_t vectors = tokens * heads * (half / n);
  if (vectors == 0) return cudaSuccess;
  if (vec) {
    RopeKernel<T, kVec><<<Blocks(vectors), kThreads, 0, stream>>>(x, cos, sin, vectors, heads, half,
                                                                  seq, backward, out);
  } else {
    RopeKernel<T, 1><<<Blocks(vectors), kThreads, 0, stream>>>(x, cos, sin, vectors, heads, half,
                                                               seq, backward, out);
  }
  return cudaGetLastError();
}

// ---- RMSNorm: one block per row -------------------------------------------------------------

__device__ float BlockSum(float v) {
  __shared__ float partial[kThreads / 32];
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // partial may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < kThreads / 32 ? partial[lane] : 0.0f;
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T, int N>
__global__ void __launch_bounds__(kThreads)
    RmsNormKernel(const T* __restrict__ x, const T* __restrict__ w, int d, float eps,
                  T* __restrict__ out, float* __restrict__ rstd) {
  const int64_t row = blockIdx.x;
  const T* xr = x + row * d;
  T* o = out + row * d;
  float sum = 0.0f;
  for (int i = threadIdx.x * N; i < d; i += kThreads * N) {
    const Pack<T, N> a = Load<T, N>(xr + i);
#pragma unroll
    for (int k = 0; k < N; ++k) {
      const float v = ToFloat(a.v[k]);
      sum += v * v;
    }
  }
  sum = BlockSum(sum);
  const float r = rsqrtf(sum / static_cast<float>(d) + eps);
  if (threadIdx.x == 0) rstd[row] = r;
  for (int i = threadIdx.x * N; i < d; i += kThreads * N) {
    const Pack<T, N> a = Load<T, N>(xr + i), wv = Load<T, N>(w + i);
    Pack<T, N> y;
#pragma unroll
    for (int k = 0; k < N; ++k)
      y.v[k] = FromFloat<T>(ToFloat(wv.v[k]) * Round<T>(ToFloat(a.v[k]) * r));
    Store<T, N>(o + i, y);
  }
}

// dx = gn r - x r^3 mean(gn x), gn = T(g w): the gradient through x * rsqrt(mean(x^2) + eps).
template <typename T, int N>
__global__ void __launch_bounds__(kThreads)
    RmsNormBackwardKernel(const T* __restrict__ g, const T* __restrict__ x, const T* __restrict__ w,
                          const float* __restrict__ rstd, int d, T* __restrict__ dx) {
  const int64_t row = blockIdx.x;
  const T* gr = g + row * d;
  const T* xr = x + row * d;
  T* o = dx + row * d;
  float dot = 0.0f;
  for (int i = threadIdx.x * N; i < d; i += kThreads * N) {
    const Pack<T, N> gv = Load<T, N>(gr + i), a = Load<T, N>(xr + i), wv = Load<T, N>(w + i);
#pragma unroll
    for (int k = 0; k < N; ++k) {
      dot += Round<T>(ToFloat(gv.v[k]) * ToFloat(wv.v[k])) * ToFloat(a.v[k]);
    }
  }
  dot = BlockSum(dot);
  const float r = rstd[row];
  const float coef = r * r * r * dot / static_cast<float>(d);
  for (int i = threadIdx.x * N; i < d; i += kThreads * N) {
    const Pack<T, N> gv = Load<T, N>(gr + i), a = Load<T, N>(xr + i), wv = Load<T, N>(w + i);
    Pack<T, N> y;
#pragma unroll
    for (int k = 0; k < N; ++k) {
      const float gn = Round<T>(ToFloat(gv.v[k]) * ToFloat(wv.v[k]));
      y.v[k] = FromFloat<T>(gn * r - ToFloat(a.v[k]) * coef);
    }
    Store<T, N>(o + i, y);
  }
}

template <typename T>
cudaError_t RmsNorm(const T* x, const T* w, int64_t rows, int d, float eps, T* out, float* rstd,
                    cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  constexpr int kVec = 16 / sizeof(T);
  if (d % kVec == 0 && Aligned(x) && Aligned(w) && Aligned(out)) {
    RmsNormKernel<T, kVec><<<rows, kThreads, 0, stream>>>(x, w, d, eps, out, rstd);
  } else {
    RmsNormKernel<T, 1><<<rows, kThreads, 0, stream>>>(x, w, d, eps, out, rstd);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t RmsNormBackward(const T* g, const T* x, const T* w, const float* rstd, int64_t rows,
                            int d, T* dx, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  constexpr int kVec = 16 / sizeof(T);
  if (d % kVec == 0 && Aligned(g) && Aligned(x) && Aligned(w) && Aligned(dx)) {
    RmsNormBackwardKernel<T, kVec><<<rows, kThreads, 0, stream>>>(g, x, w, rstd, d, dx);
  } else {
    RmsNormBackwardKernel<T, 1><<<rows, kThreads, 0, stream>>>(g, x, w, rstd, d, dx);
  }
  return cudaGetLastError();
}

// ---- SwiGLU: one thread per N elements ------------------------------------------------------

// torch's silu: x / (1 + exp(-x)) in float32.
__device__ inline float Silu(float x) { return x / (1.0f + expf(-x)); }

template <typename T, int N>
__global__ void SwiGluKernel(const T* __restrict__ gate, const T* __restrict__ up, int64_t n,
                             T* __restrict__ out) {
  const int64_t i = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * N;
  if (i >= n) return;
  const Pack<T, N> g = Load<T, N>(gate + i), u = Load<T, N>(up + i);
  Pack<T, N> y;
#pragma unroll
  for (int k = 0; k < N; ++k) {
    y.v[k] = FromFloat<T>(Round<T>(Silu(ToFloat(g.v[k]))) * ToFloat(u.v[k]));
  }
  Store<T, N>(out + i, y);
}

// d_up = T(dy s), s = T(silu(gate)); d_gate = silu_backward(T(dy up), gate) as torch computes it:
// ds * sigmoid * (1 + x (1 - sigmoid)).
template <typename T, int N>
__global__ void SwiGluBackwardKernel(const T* __restrict__ grad, const T* __restrict__ gate,
                                     const T* __restrict__ up, int64_t n, T* __restrict__ d_gate,
                                     T* __restrict__ d_up) {
  const int64_t i = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * N;
  if (i >= n) return;
  const Pack<T, N> dy = Load<T, N>(grad + i), g = Load<T, N>(gate + i), u = Load<T, N>(up + i);
  Pack<T, N> dg, du;
#pragma unroll
  for (int k = 0; k < N; ++k) {
    const float x = ToFloat(g.v[k]), dyk = ToFloat(dy.v[k]);
    const float s = Round<T>(Silu(x));
    du.v[k] = FromFloat<T>(dyk * s);
    const float ds = Round<T>(dyk * ToFloat(u.v[k]));
    const float sigmoid = 1.0f / (1.0f + expf(-x));
    dg.v[k] = FromFloat<T>(ds * sigmoid * (1.0f + x * (1.0f - sigmoid)));
  }
  Store<T, N>(d_gate + i, dg);
  Store<T, N>(d_up + i, du);
}

template <typename T>
cudaError_t SwiGlu(const T* gate, const T* up, int64_t n, T* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr int kVec = 16 / sizeof(T);
  if (n % kVec == 0 && Aligned(gate) && Aligned(up) && Aligned(out)) {
    SwiGluKernel<T, kVec><<<Blocks(n / kVec), kThreads, 0, stream>>>(gate, up, n, out);
  } else {
    SwiGluKernel<T, 1><<<Blocks(n), kThreads, 0, stream>>>(gate, up, n, out);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t SwiGluBackward(const T* grad, const T* gate, const T* up, int64_t n, T* d_gate, T* d_up,
                           cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr int kVec = 16 / sizeof(T);
  if (n % kVec == 0 && Aligned(grad) && Aligned(gate) && Aligned(up) && Aligned(d_gate) &&
      Aligned(d_up)) {
    SwiGluBackwardKernel<T, kVec>
        <<<Blocks(n / kVec), kThreads, 0, stream>>>(grad, gate, up, n, d_gate, d_up);
  } else {
    SwiGluBackwardKernel<T, 1><<<Blocks(n), kThreads, 0, stream>>>(grad, gate, up, n, d_gate, d_up);
  }
  return cudaGetLastError();
}

// Calls f with the element type's pointer type: f(static_cast<T*>(nullptr)).
template <typename F>
cudaError_t Dispatch(ElemType type, F&& f) {
  switch (type) {
    case ElemType::kF32:
      return f(static_cast<float*>(nullptr));
    case ElemType::kBF16:
      return f(static_cast<__nv_bfloat16*>(nullptr));
    case ElemType::kF16:
      return f(static_cast<__half*>(nullptr));
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t LaunchRope(const void* x, const float* cos, const float* sin, int64_t tokens, int heads,
                       int half, int seq, bool backward, ElemType type, void* out,
                       cudaStream_t stream) {
  return Dispatch(type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return Rope<T>(static_cast<const T*>(x), cos, sin, tokens, heads, half, seq, backward,
                   static_cast<T*>(out), stream);
  });
}

cudaError_t LaunchRmsNorm(const void* x, const void* weight, int64_t rows, int d, float eps,
                          ElemType type, void* out, float* rstd, cudaStream_t stream) {
  return Dispatch(type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return RmsNorm<T>(static_cast<const T*>(x), static_cast<const T*>(weight), rows, d, eps,
                      static_cast<T*>(out), rstd, stream);
  });
}

cudaError_t LaunchRmsNormBackward(const void* grad, const void* x, const void* weight,
                                  const float* rstd, int64_t rows, int d, ElemType type, void* dx,
                                  cudaStream_t stream) {
  return Dispatch(type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return RmsNormBackward<T>(static_cast<const T*>(grad), static_cast<const T*>(x),
                              static_cast<const T*>(weight), rstd, rows, d, static_cast<T*>(dx),
                              stream);
  });
}

cudaError_t LaunchSwiGlu(const void* gate, const void* up, int64_t n, ElemType type, void* out,
                         cudaStream_t stream) {
  return Dispatch(type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return SwiGlu<T>(static_cast<const T*>(gate), static_cast<const T*>(up), n,
                     static_cast<T*>(out), stream);
  });
}

cudaError_t LaunchSwiGluBackward(const void* grad, const void* gate, const void* up, int64_t n,
                                 ElemType type, void* d_gate, void* d_up, cudaStream_t stream) {
  return Dispatch(type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return SwiGluBackward<T>(static_cast<const T*>(grad), static_cast<const T*>(gate),
                             static_cast<const T*>(up), n, static_cast<T*>(d_gate),
                             static_cast<T*>(d_up), stream);
  });
}

}  // namespace qlsweep::trainer::kernels
