// HfCheckpoint: an HF transformers Llama folder (config.json + safetensors, single or sharded).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trainer/io/safetensors.h"
#include "trainer/io/weight_source.h"

namespace qlsweep::trainer {

// Every frozen tensor a Llama of `shape` has, by HF name, with its HF shape: matrices
// [out_features, in_features], norms [D]; lm_head.weight only when embeddings are untied.
std::map<std::string, std::vector<int64_t>> ExpectedLlamaTensors(const sweeps::ModelShape& shape);

// The model shape described by an HF config.json (path for messages, text its content).
// Required: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size.
// Optional: num_key_value_heads (= heads), max_position_embeddings (2048), rope_theta (10000; also
// read from transformers 5's rope_parameters), rms_norm_eps (1e-6), tie_word_embeddings (false).
// RoPE scaling (rope_scaling, or rope_parameters' rope_type): Llama 3.1's "llama3" with factor,
// low_freq_factor, high_freq_factor, original_max_position_embeddings. Rejected, naming the file
// and key: any other rope scaling (linear, dynamic, yarn, ...); head_dim other
// than hidden_size / num_attention_heads; hidden_act other than silu; attention or MLP biases;
// model_type other than llama (or mistral without a sliding window that could apply); a shape
// outside sweeps::CheckModelShape's ranges (key/value heads 0 or not dividing the heads, 0 layers,
// an epsilon of 0 or NaN, ...). `text` must be UTF-8 JSON: errors name file, line and column.
sweeps::ModelShape ParseHfConfig(const std::string& path, const std::string& text);

// Reads `folder`/config.json and either `folder`/model.safetensors or the shards listed by
// `folder`/model.safetensors.index.json (weight_map: tensor name -> shard file). Only headers are
// read on construction; they are checked then: every tensor the shape needs is present with its
// expected shape, every listed shard exists and holds the tensors listed for it; a shard name must
// be a plain file name in the folder (no '/', '\', '..'). Errors are std::runtime_error naming the
// file, and the key or tensor.
class HfCheckpoint : public WeightSource {
 public:
  explicit HfCheckpoint(const std::string& folder);

  sweeps::ModelShape Shape() const override { return shape_; }
  bool Has(const std::string& name) const override { return where_.count(name) > 0; }
  // The stored shape (HF layout).
  std::vector<int64_t> TensorShape(const std::string& name) const override;
  // float32 CPU, contiguous; bf16/fp16/fp64 storage converted. Reads only that tensor's bytes.
  torch::Tensor Read(const std::string& name) override;
  std::string Describe() const override { return folder_; }

 private:
  const SafetensorsFile& FileOf(const std::string& name) const;

  std::string folder_;
  sweeps::ModelShape shape_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;  // tensor name -> file holding it
};

}  // namespace qlsweep::trainer
