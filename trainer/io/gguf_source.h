// GgufSource: a llama.cpp GGUF checkpoint read tensor by tensor under HF Llama names, dequantized.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "trainer/io/gguf_file.h"
#include "trainer/io/weight_source.h"

namespace qlsweep::trainer {

// llama.cpp tensor name -> HF name ("blk.3.attn_q.weight" ->
// "model.layers.3.self_attn.q_proj.weight"); empty for names that have no HF counterpart (e.g.
// rope_freqs.weight).
std::string HfNameFromGguf(const std::string& gguf_name);

// Reads GGUF files whose general.architecture is "llama" (SmolLM2, Llama 2/3, TinyLlama, ...).
// Shape() comes from the llama.* metadata (required: block_count, embedding_length,
// feed_forward_length, attention.head_count, context_length, attention.layer_norm_rms_epsilon;
// optional: attention.head_count_kv = head_count, rope.freq_base = 10000); vocab is the length of
// tokenizer.ggml.tokens (else llama.vocab_size); embeddings are tied when output.weight is absent.
// Rope scaling metadata (llama.rope.scaling.*) is not read. A shape outside
// sweeps::CheckModelShape's ranges is an error naming the file and the metadata key.
class GgufSource : public WeightSource {
 public:
  explicit GgufSource(const std::string& path);

  sweeps::ModelShape Shape() const override { return shape_; }
  bool Has(const std::string& name) const override;
  // HF layout: [out_features, in_features] for matrices, [D] for norms.
  std::vector<int64_t> TensorShape(const std::string& name) const override;
  // float32 CPU tensor in HF layout: dequantized, q/k rows back in HF order.
  torch::Tensor Read(const std::string& name) override;
  std::string Describe() const override { return file_->path(); }

  // The tokenizer stored in the file (throws naming the file when it has none).
  GgufVocab Tokenizer() const { return ReadGgufTokenizer(*file_); }
  const GgufFile& file() const { return *file_; }

 private:
  const GgufTensorInfo& Info(const std::string& name) const;

  std::unique_ptr<GgufFile> file_;
  sweeps::ModelShape shape_;
  std::map<std::string, std::string> hf_to_gguf_;
};

}  // namespace qlsweep::trainer
