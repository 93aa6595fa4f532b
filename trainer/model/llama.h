// The Llama decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) with LoRA on chosen
// projections.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sweeps/model_shapes.h"
#include "trainer/model/activation_offload.h"
#include "trainer/model/attention.h"
#include "trainer/model/layer_gate.h"
#include "trainer/peft/lora_linear.h"
#include "trainer/peft/lora_spec.h"
#include "trainer/quant/frozen_matrix.h"

namespace qlsweep::trainer {

using sweeps::ModelShape;

// RMSNorm with a frozen scale: x: [..., D] -> [..., D], computed in fp32, returned in x's dtype.
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  // Projections without a base (filled by LlamaModelImpl::LoadBase); norms at 1.
  DecoderLayerImpl(const ModelShape& shape, const LoraSpec& lora, const torch::TensorOptions& opts);
  // x: [B, T, D]; cos, sin: [T, hd] -> [B, T, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  // The same graph for a checkpoint's recompute, whose output only carries gradients back: the
  // down projection's base GEMM (a fifth of the layer's GEMM work) is skipped, so the returned
  // values are NOT the layer's output. Gradients to x and the adapters are those of forward.
  // With `kept` (filled by ForwardKeepingAttention on the same x), the attention half is not
  // recomputed: q, k and v compute only what their backward needs, and attention's output and
  // backward come from `kept` (attention.h), which must outlive the backward through the
  // returned tensor. Gradients bitwise those without.
  torch::Tensor RecomputeForBackward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, KeptAttention* kept = nullptr);
  // forward, also keeping in `kept` what attention's backward needs; kept.out stays undefined
  // when the attention kernel torch picks cannot be kept (KeepableKernel). Run without autograd.
  torch::Tensor ForwardKeepingAttention(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin, KeptAttention& kept);

  LoraLinear q, k, v, o, gate, up, down;
  torch::Tensor input_norm;                                             // [D], frozen
  torch::Tensor post_norm;                                              // [D], frozen
  std::vector<std::pair<std::string, LoraLinear>> projections() const;  // q_proj ... down_proj
  // Frozen tensors of the layer in a fixed order (the 7 bases' tensors, then the two norms), as
  // slots that a sharder may re-point (ZeRO-3).
  std::vector<torch::Tensor*> FrozenTensors();
  LayerGate* base_gate = nullptr;  // set by ZeRO-3: the base is all-gathered around each use

 private:
  // keep: fill it (forward); from: use it (recompute).
  torch::Tensor Run(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                    bool output_needed, KeptAttention* keep, KeptAttention* from);

  ModelShape shape_;
};
TORCH_MODULE(DecoderLayer);

class LlamaModelImpl : public torch::nn::Module {
 public:
  // Produces the frozen tensor of HF name `name` with `shape`, on the model's device in its
  // compute dtype (random, or read from a checkpoint).
  using BaseProvider =
      std::function<torch::Tensor(const std::string& name, const std::vector<int64_t>& shape)>;
  // Called after decoder layer `index` has its whole base (ZeRO-3 shards it there, so the full
  // base never exists at once).
  using LayerLoaded = std::function<void(int64_t index, DecoderLayerImpl& layer)>;

  // The structure and the adapters; the frozen base is empty until LoadBase.
  LlamaModelImpl(const ModelShape& shape, const LoraSpec& lora, const torch::TensorOptions& opts);

  // Fills every frozen tensor in a fixed order (embed_tokens; per layer q, k, v, o, gate, up,
  // down, input_layernorm, post_attention_layernorm; norm; lm_head unless tied), one at a time,
  // quantizing each as it arrives when `policy` says so: a 7B model never needs its whole 16-bit
  // size at once.
  void LoadBase(const BaseProvider& provider, const QuantPolicy& policy,
                const LayerLoaded& on_layer = {});
  // Re-draws every adapter's A from the global RNG and zeroes B.
  void ResetAdapters();
  // Off: every projection computes its frozen base only (the untuned model); on by default.
  void SetAdaptersEnabled(bool on);
  // Every projection with its HF module path, e.g. "model.layers.0.self_attn.q_proj", in layer
  // order (q, k, v, o, gate, up, down).
  std::vector<std::pair<std::string, LoraLinear>> NamedProjections() const;
  // Every dense weight with its HF tensor name ("model.embed_tokens.weight", ...,
  // "lm_head.weight" unless tied), in LoadBase's order, as slots of the model's own tensors.
  // Empty slots are left out; a 4-bit weight has no dense tensor and throws std::logic_error.
  std::vector<std::pair<std::string, torch::Tensor*>> NamedWeights();
  // Full fine-tuning: marks every weight (embeddings, norms, projections, lm_head) as requiring
  // a gradient and returns them in NamedWeights' order. Needs a dense base (quantization none).
  std::vector<torch::Tensor> MakeWeightsTrainable();

  // tokens: [B, T] int64 -> final hidden states [B, T, D] (after the last RMSNorm).
  // With checkpointing on (and grad mode on) each decoder layer is recomputed in backward.
  torch::Tensor forward(const torch::Tensor& tokens);

  // [V, D] in the compute dtype: the output projection (the embedding matrix when tied);
  // dequantized afresh when it is 4-bit.
  torch::Tensor OutputWeight() const;
  const ModelShape& shape() const { return shape_; }
  torch::Dtype dtype() const { return dtype_; }
  void set_checkpointing(bool on) { checkpointing_ = on; }
  // With checkpointing: false keeps each layer's attention tensors (q, k, v, output; parked in
  // host memory with activation offload) so that backward recomputes only the MLP half.
  void set_recompute_attention(bool on) { recompute_attention_ = on; }
  // With checkpointing: park each layer's saved input in host memory between forward and
  // backward (activation_offload.h); `device` is the model's.
  void set_activation_offload(bool on, const torch::Device& device);
  const ActivationOffload* activation_offload() const { return offload_.get(); }
  // Moves the input embedding table to pinned host memory (to plain host memory on a CPU device);
  // forward then gathers each batch's rows there and copies them to `device`. Needs a dense,
  // untied table (std::invalid_argument otherwise).
  void OffloadEmbeddings(const torch::Device& device);
  bool embeddings_on_host() const { return embed_device_.has_value(); }
  // Device bytes of the frozen base (4-bit codes and scales, or dense tensors).
  int64_t BaseBytes() const;

  FrozenMatrix embed;
  torch::Tensor final_norm;  // [D]
  FrozenMatrix lm_head;      // undefined when tied
  torch::nn::ModuleList layers;

 private:
  ModelShape shape_;
  torch::Dtype dtype_;
  bool checkpointing_ = false;
  bool recompute_attention_ = true;
  std::unique_ptr<ActivationOffload> offload_;
  std::optional<torch::Device> embed_device_;  // set when the table lives in host memory
};
TORCH_MODULE(LlamaModel);

// A provider of random frozen weights: N(0, 0.02^2) matrices, unit norms, drawn from the
// global RNG on opts' device in the compute dtype.
LlamaModelImpl::BaseProvider RandomBase(const torch::TensorOptions& opts);

// A model with a random base (drawn from `seed`, quantized per `policy`) and fresh adapters
// (drawn from seed + 1): the base is the same whatever the LoRA settings.
LlamaModel MakeRandomLlama(uint64_t seed, const ModelShape& shape, const LoraSpec& lora,
                           const torch::TensorOptions& opts, const QuantPolicy& policy = {},
                           const LlamaModelImpl::LayerLoaded& on_layer = {});

}  // namespace qlsweep::trainer
