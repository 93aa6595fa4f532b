// Activation checkpointing for one decoder layer: keep only its input, recompute it in backward.
#pragma once

#include <torch/torch.h>

#include "trainer/model/activation_offload.h"
#include "trainer/model/llama.h"

namespace qlsweep::trainer {

// Runs `layer` on x without storing its activations; backward recomputes the layer with the same
// RNG state (so LoRA dropout masks match) and accumulates the adapters' gradients.
// x: [B, T, D] and must require grad (callers make the embedding output require grad, as HF's
// enable_input_require_grads does); cos, sin: [T, hd]. Returns [B, T, D].
// With `offload`, x is parked in host memory until backward instead of held on the device.
// With `keep_attention`, the layer's attention tensors (q, k, v, output; 4*B*T*D elements for
// full multi-head attention) are kept too and backward recomputes only the MLP half
// (DecoderLayerImpl::RecomputeForBackward); the gradients are bitwise the same. With `offload`
// they are parked as well: the output with x, and q, k, v in a slot of their own that backward
// fetches only at attention's backward. A kernel that cannot be kept (attention.h,
// KeepableKernel) falls back to the full recompute.
torch::Tensor CheckpointedLayer(DecoderLayerImpl& layer, const torch::Tensor& x,
                                const torch::Tensor& cos, const torch::Tensor& sin,
                                ActivationOffload* offload = nullptr, bool keep_attention = false);

}  // namespace qlsweep::trainer
