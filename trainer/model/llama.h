// The Llama decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) with LoRA on chosen projections.
#pragma once

#include <set>
#include <string>

#include <torch/torch.h>

#include "sweeps/model_shapes.h"
#include "trainer/peft/lora_linear.h"

namespace qlsweep::trainer {

using sweeps::ModelShape;

// Which projections carry an adapter, and its hyper-parameters.
struct LoraSpec {
  int64_t r = 0;  // 0 = no adapters
  double alpha = 16;
  double dropout = 0;
  std::set<std::string> targets;  // subset of q, k, v, o, gate, up, down
};

// RMSNorm with a frozen scale: x: [..., D] -> [..., D], computed in fp32, returned in x's dtype.
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelShape& shape, const LoraSpec& lora, const torch::TensorOptions& opts);
  // x: [B, T, D]; cos, sin: [T, hd] -> [B, T, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

  LoraLinear q, k, v, o, gate, up, down;
  torch::Tensor input_norm;  // [D], frozen
  torch::Tensor post_norm;   // [D], frozen

 private:
  ModelShape shape_;
};
TORCH_MODULE(DecoderLayer);

class LlamaModelImpl : public torch::nn::Module {
 public:
  // Random weights of the preset's true shapes (N(0, 0.02^2), norms at 1) in `opts`. The frozen
  // weights are drawn from the global RNG seeded with `seed`, the adapters afterwards from
  // seed + 1, so the base model is the same whatever the LoRA rank or targets.
  LlamaModelImpl(uint64_t seed, const ModelShape& shape, const LoraSpec& lora, const torch::TensorOptions& opts);

  // tokens: [B, T] int64 -> final hidden states [B, T, D] (after the last RMSNorm).
  // With checkpointing on (and grad mode on) each decoder layer is recomputed in backward.
  torch::Tensor forward(const torch::Tensor& tokens);

  // [V, D]: the output projection (the embedding matrix when tied).
  torch::Tensor lm_head_weight() const { return shape_.tie_embeddings ? embed : lm_head; }
  const ModelShape& shape() const { return shape_; }
  void set_checkpointing(bool on) { checkpointing_ = on; }

  torch::Tensor embed;       // [V, D], frozen
  torch::Tensor final_norm;  // [D], frozen
  torch::Tensor lm_head;     // [V, D], frozen; undefined when tied
  torch::nn::ModuleList layers;

 private:
  ModelShape shape_;
  bool checkpointing_ = false;
};
TORCH_MODULE(LlamaModel);

}  // namespace qlsweep::trainer
