// WeightSource: a checkpoint read tensor by tensor under HF Llama names, whatever its file format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sweeps/model_shapes.h"

namespace qlsweep::trainer {

// Names are HF transformers' Llama names: model.embed_tokens.weight,
// model.layers.{i}.self_attn.{q,k,v,o}_proj.weight,
// model.layers.{i}.mlp.{gate,up,down}_proj.weight, model.layers.{i}.input_layernorm.weight,
// model.layers.{i}.post_attention_layernorm.weight, model.norm.weight, lm_head.weight (absent when
// embeddings are tied). Implementations: HF safetensors folders (trainer/io/hf_checkpoint.h) and
// GGUF files (trainer/io/gguf_source.h). Errors are std::runtime_error naming the file and the
// tensor.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // The model's shape as the checkpoint describes it (config.json or GGUF metadata).
  virtual sweeps::ModelShape Shape() const = 0;
  virtual bool Has(const std::string& name) const = 0;
  virtual std::vector<int64_t> TensorShape(const std::string& name) const = 0;
  // One tensor as float32 on the CPU, in HF layout (GGUF blocks dequantized, llama.cpp's q/k row
  // permutation undone). Reads only that tensor's bytes, so a model never needs to be whole in
  // memory at once.
  virtual torch::Tensor Read(const std::string& name) = 0;
  // Where the weights come from, for messages ("path/model.gguf").
  virtual std::string Describe() const = 0;
};

}  // namespace qlsweep::trainer
