// Causal self-attention through the kernel torch's SDPA picks, and a form of it whose forward
// keeps what the kernel's backward needs, so that a checkpoint's recompute can skip attention.
#pragma once

#include <functional>
#include <optional>

#include <torch/torch.h>

namespace qlsweep::trainer {

// The fused SDPA kernels whose forward returns the row log-sum-exp their backward takes.
enum class AttentionKernel { kCudnn, kFlash, kCpuFlash };

// What one attention forward kept for its backward: the kernel's inputs and outputs as it saw
// them (strides included), and its bookkeeping for dense, dropout-free, causal input.
struct KeptAttention {
  AttentionKernel kernel = AttentionKernel::kCpuFlash;
  torch::Tensor q, k, v;  // [B, H(kv), T, hd], after RoPE; may be left to `load`
  torch::Tensor out;      // [B, H, T, hd]
  torch::Tensor lse;      // [B, H, T] float32 (the kernel's layout)
  torch::Tensor philox_seed, philox_offset, cum_seq_q, cum_seq_k;  // as the forward returned them
  int64_t max_q = 0, max_k = 0;
  // When set and q is undefined, called by the backward for q, k and v, at the moment it needs
  // them: they may wait in host memory until then (trainer/model/checkpoint.cpp).
  std::function<void(KeptAttention&)> load;
};

// q: [B, H, T, hd]; k, v: [B, Hkv, T, hd] (H a multiple of Hkv) -> [B, H, T, hd]: causal
// attention with the default scale, through at::scaled_dot_product_attention.
torch::Tensor CausalAttention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v);

// The kernel that CausalAttention runs on these inputs in training (they requiring grad, grad
// mode on: SDPA's own choice, _fused_sdp_choice) when it is one of AttentionKernel's, else
// nullopt (the math or memory-efficient path, a head dim that flash would pad): the attention can
// then not be kept.
std::optional<AttentionKernel> KeepableKernel(const torch::Tensor& q, const torch::Tensor& k,
                                              const torch::Tensor& v);

// CausalAttention through `kernel` (from KeepableKernel on the same inputs), run without
// autograd; returns the output (bitwise that of CausalAttention) and fills `kept`.
torch::Tensor CausalAttentionKeeping(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, AttentionKernel kernel,
                                     KeptAttention& kept);

// The attention output kept in `kept` as a node of a recompute's graph: q, k, v are the
// recompute's [B, H(kv), T, hd] tensors in the graph (their values are not read; `kept` holds the
// real ones). Forward returns kept.out; backward loads q, k, v if they are not there (kept.load),
// runs the kernel's backward on the kept tensors, releases them, and returns the gradients of q,
// k, v, bitwise those of autograd through CausalAttention. `kept` is referenced, not copied: it
// must outlive the backward pass through the returned tensor.
torch::Tensor AttentionFromKept(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, KeptAttention& kept);

}  // namespace qlsweep::trainer
