// Loading a Llama from a checkpoint (HF folder or GGUF file), converting each weight as it arrives.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "trainer/io/weight_source.h"
#include "trainer/model/llama.h"
#include "trainer/quant/frozen_matrix.h"

namespace qlsweep::trainer {

// A model of source.Shape() whose frozen base is read from `source` one tensor at a time (in
// LoadBase's order): each float32 CPU tensor is shape-checked, moved to opts' device and dtype and,
// per `policy`, quantized before the next is read, so the base never exists whole in float32.
// Adapters are then drawn from `adapter_seed` (A random, B zero: the model equals its base).
// Errors (missing tensor, wrong shape) name the tensor and source.Describe().
// `on_layer` runs after each decoder layer's base is in place (see LlamaModelImpl::LoadBase).
LlamaModel LoadLlama(WeightSource& source, const LoraSpec& lora, const torch::TensorOptions& opts,
                     const QuantPolicy& policy, uint64_t adapter_seed,
                     const LlamaModelImpl::LayerLoaded& on_layer = {});

// The weights at `path`: a .gguf file -> GgufSource, a folder -> HfCheckpoint; anything else
// (missing path, other file) is a std::runtime_error naming the path.
std::unique_ptr<WeightSource> OpenWeights(const std::string& path);

}  // namespace qlsweep::trainer
