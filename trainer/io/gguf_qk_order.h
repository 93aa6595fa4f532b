// llama.cpp's q/k projection row order (convert_hf_to_gguf.py's permute) and its inverse.
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

// What convert_hf_to_gguf.py does to q_proj (n_head = H) and k_proj (n_head = Hkv) weights:
// w.reshape(n_head, 2, rows / n_head / 2, cols).swapaxes(1, 2).reshape(rows, cols), i.e. within
// each head the rotary halves are interleaved. w: [rows, cols] any dtype -> [rows, cols].
torch::Tensor PermuteQkToGguf(const torch::Tensor& w, int64_t n_head);

// The inverse: GGUF row order back to HF's. w: [rows, cols] any dtype -> [rows, cols] contiguous.
// Throws std::invalid_argument when rows is not a multiple of 2 * n_head.
torch::Tensor UnpermuteQkFromGguf(const torch::Tensor& w, int64_t n_head);

}  // namespace qlsweep::trainer
