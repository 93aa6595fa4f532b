// Rotary position embeddings (RoPE), HF "rotate_half" layout.
#pragma once

#include <torch/torch.h>

#include "sweeps/model_shapes.h"

namespace qlsweep::trainer {

// cos, sin tables for positions 0..T-1: each [T, hd] float32 on `device`; frequencies scaled as
// Llama 3.1 does when `scaling` is enabled.
std::pair<torch::Tensor, torch::Tensor> RopeTables(int64_t seq_len, int64_t head_dim, double theta,
                                                   const torch::Device& device,
                                                   const sweeps::RopeScaling& scaling = {});

// inv_freq [hd/2] float32 under Llama 3.1's scaling (HF _compute_llama3_parameters, op for op).
torch::Tensor Llama3InvFreq(const torch::Tensor& inv_freq, const sweeps::RopeScaling& scaling);

// x: [B, heads, T, hd]; cos, sin: [T, hd] -> [B, heads, T, hd] in x's dtype.
torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace qlsweep::trainer
