// GgufSource: llama.cpp names mapped to HF names, Llama shape from metadata, tensors dequantized.
#include "trainer/io/gguf_source.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "sweeps/input_file.h"
#include "trainer/io/gguf_dequant.h"
#include "trainer/io/gguf_qk_order.h"

namespace qlsweep::trainer {
namespace {

// Per-layer llama.cpp suffixes and their HF counterparts.
const std::map<std::string, std::string>& LayerNames() {
  static const std::map<std::string, std::string> kNames = {
      {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},
      {"attn_norm.weight", "input_layernorm.weight"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"},
  };
  return kNames;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The double nearest to the shortest decimal that reads back as the same float.
double ShortestDecimal(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v));
  return std::strtod(std::string(buf, res.ptr).c_str(), nullptr);
}

}  // namespace

std::string HfNameFromGguf(const std::string& g) {
  if (g == "token_embd.weight") return "model.embed_tokens.weight";
  if (g == "output_norm.weight") return "model.norm.weight";
  if (g == "output.weight") return "lm_head.weight";
  static const std::regex kLayer(R"(blk\.(\d+)\.(.+))");
  std::smatch m;
  if (std::regex_match(g, m, kLayer)) {
    auto it = LayerNames().find(m[2].str());
    if (it != LayerNames().end()) return "model.layers." + m[1].str() + "." + it->second;
  }
  return "";
}

GgufSource::GgufSource(const std::string& path) : file_(std::make_unique<GgufFile>(path)) {
  const GgufFile& f = *file_;
  const std::string arch = f.GetString("general.architecture");
  if (arch != "llama") {
    throw std::runtime_error(sweeps::Utf8Safe(path + ": general.architecture is '" + arch +
                                              "'; only 'llama' GGUF files are supported"));
  }
  shape_.name = std::filesystem::path(path).stem().string();
  shape_.layers = f.GetInt("llama.block_count");
  shape_.hidden = f.GetInt("llama.embedding_length");
  shape_.intermediate = f.GetInt("llama.feed_forward_length");
  shape_.heads = f.GetInt("llama.attention.head_count");
  shape_.kv_heads = f.Find("llama.attention.head_count_kv")
                        ? f.GetInt("llama.attention.head_count_kv")
                        : shape_.heads;
  shape_.max_seq = f.GetInt("llama.context_length");
  shape_.rope_theta = f.Find("llama.rope.freq_base")
                          ? ShortestDecimal(f.GetFloat("llama.rope.freq_base"))
                          : 10000.0;
  // float32 metadata becomes the shortest decimal that round-trips it (9.99999975e-06 -> 1e-05).
  shape_.rms_eps = ShortestDecimal(f.GetFloat("llama.attention.layer_norm_rms_epsilon"));
  if (const GgufValue* tokens = f.Find("tokenizer.ggml.tokens")) {
    shape_.vocab = static_cast<int64_t>(tokens->size());
  } else {
    shape_.vocab = f.GetInt("llama.vocab_size");
  }
  const sweeps::ShapeKeyNames keys = {
      f.Find("tokenizer.ggml.tokens") ? "tokenizer.ggml.tokens (its length)" : "llama.vocab_size",
      "llama.embedding_length",
      "llama.feed_forward_length",
      "llama.block_count",
      "llama.attention.head_count",
      f.Find("llama.attention.head_count_kv") ? "llama.attention.head_count_kv"
                                              : "llama.attention.head_count",
      "llama.context_length",
      "llama.rope.freq_base",
      "llama.attention.layer_norm_rms_epsilon"};
  if (const auto problem = sweeps::CheckModelShape(shape_, keys)) {
    throw std::runtime_error(path + ": metadata '" + problem->key + "' " + problem->problem);
  }
  for (const GgufTensorInfo& t : f.tensors()) {
    std::string hf = HfNameFromGguf(t.name);
    if (!hf.empty()) hf_to_gguf_.emplace(std::move(hf), t.name);
  }
  shape_.tie_embeddings = hf_to_gguf_.count("lm_head.weight") == 0;
  // Llama 3.1's rope scaling, as convert_hf_to_gguf.py stores it: divisors of the frequencies.
  if (const GgufTensorInfo* freqs = f.FindTensor("rope_freqs.weight")) {
    const int64_t half = shape_.hidden / shape_.heads / 2;
    if (freqs->type != static_cast<uint32_t>(GgmlType::kF32) || freqs->elements() != half) {
      throw std::runtime_error(path + ": tensor 'rope_freqs.weight' should be " +
                               std::to_string(half) + " F32 values (head dim / 2), it is " +
                               std::to_string(freqs->elements()) + " " + GgmlTypeName(freqs->type));
    }
    shape_.rope_scaling.freq_factors.resize(static_cast<size_t>(half));
    std::memcpy(shape_.rope_scaling.freq_factors.data(), f.TensorData(*freqs),
                static_cast<size_t>(half) * sizeof(float));
  }
}

bool GgufSource::Has(const std::string& name) const { return hf_to_gguf_.count(name) != 0; }

const GgufTensorInfo& GgufSource::Info(const std::string& name) const {
  auto it = hf_to_gguf_.find(name);
  if (it == hf_to_gguf_.end()) {
    throw std::runtime_error(file_->path() + ": no tensor for '" + name + "' in the GGUF file");
  }
  return *file_->FindTensor(it->second);
}

std::vector<int64_t> GgufSource::TensorShape(const std::string& name) const {
  const auto& dims = Info(name).dims;
  return {dims.rbegin(), dims.rend()};
}

torch::Tensor GgufSource::Read(const std::string& name) {
  const GgufTensorInfo& info = Info(name);
  if (!GgmlTypeSupported(info.type)) {
    throw std::runtime_error(sweeps::Utf8Safe(
        file_->path() + ": tensor '" + info.name + "' (" + name + ") has type " +
        GgmlTypeName(info.type) +
        ", which qlsweep cannot dequantize (supported: " + GgmlSupportedTypeNames() + ")"));
  }
  auto out = torch::empty(TensorShape(name), torch::kFloat32);
  // Rows (dims[0] values each, a whole number of blocks) decode independently, in parallel.
  const GgmlTypeTraits traits = *GgmlTraits(info.type);
  const int64_t row_elems = info.dims[0];
  const int64_t row_bytes = row_elems / traits.block_elems * traits.block_bytes;
  const uint8_t* src = file_->TensorData(info);
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, info.elements() / row_elems, std::max<int64_t>(1, 65536 / row_elems),
                   [&](int64_t begin, int64_t end) {
                     DequantizeGgml(info.type, src + begin * row_bytes, (end - begin) * row_elems,
                                    dst + begin * row_elems);
                   });
  if (EndsWith(name, "self_attn.q_proj.weight")) return UnpermuteQkFromGguf(out, shape_.heads);
  if (EndsWith(name, "self_attn.k_proj.weight")) return UnpermuteQkFromGguf(out, shape_.kv_heads);
  return out;
}

}  // namespace qlsweep::trainer
