// Raw CUDA launchers of the decoder layer's fused elementwise ops (RoPE, RMSNorm, SwiGLU); no
// torch types, so nvcc never parses libtorch. Each reproduces HF transformers' op sequence in the
// element type: every intermediate a T tensor would hold is rounded to T, so the results are those
// of the composite torch ops (trainer/model/fused_ops.h states the tolerances).
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

namespace qlsweep::trainer::kernels {

enum class ElemType { kF32, kBF16, kF16 };

// x, out: [tokens, heads, 2 * half] contiguous (token-major; token t sits at position t % seq);
// cos, sin: [seq, 2 * half] float32. Forward (HF's x * cos + rotate_half(x) * sin, cos and sin
// rounded to T first) or, with `backward`, the gradient of that map applied to x (= dL/dout).
cudaError_t LaunchRope(const void* x, const float* cos, const float* sin, int64_t tokens, int heads,
                       int half, int seq, bool backward, ElemType type, void* out,
                       cudaStream_t stream);

// x, out: [rows, d]; weight: [d]; rstd: [rows] float32 (written). out = weight * T(x * rstd) with
// rstd = rsqrt(mean(x^2) + eps) in float32.
cudaError_t LaunchRmsNorm(const void* x, const void* weight, int64_t rows, int d, float eps,
                          ElemType type, void* out, float* rstd, cudaStream_t stream);
// grad, x, dx: [rows, d]; weight: [d]; rstd: [rows] from the forward. dx = dL/dx (the weight is
// frozen: no gradient for it).
cudaError_t LaunchRmsNormBackward(const void* grad, const void* x, const void* weight,
                                  const float* rstd, int64_t rows, int d, ElemType type, void* dx,
                                  cudaStream_t stream);

// gate, up, out: [n]. out = T(silu(gate)) * up.
cudaError_t LaunchSwiGlu(const void* gate, const void* up, int64_t n, ElemType type, void* out,
                         cudaStream_t stream);
// grad, gate, up, d_gate, d_up: [n]: the gradients of out = T(silu(gate)) * up.
cudaError_t LaunchSwiGluBackward(const void* grad, const void* gate, const void* up, int64_t n,
                                 ElemType type, void* d_gate, void* d_up, cudaStream_t stream);

}  // namespace qlsweep::trainer::kernels
