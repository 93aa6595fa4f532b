// Rotary position embeddings (RoPE), HF "rotate_half" layout.
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

// cos, sin tables for positions 0..T-1: each [T, hd] float32 on `device`.
std::pair<torch::Tensor, torch::Tensor> RopeTables(int64_t seq_len, int64_t head_dim, double theta,
                                                   const torch::Device& device);

// x: [B, heads, T, hd]; cos, sin: [T, hd] -> [B, heads, T, hd] in x's dtype.
torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace qlsweep::trainer
