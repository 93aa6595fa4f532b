// GgufBuilder: writes small GGUF files byte by byte for tests (valid ones and deliberately broken).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace qlsweep::trainer::testing {

class GgufBuilder {
 public:
  uint32_t magic = 0x46554747;  // "GGUF"
  uint32_t version = 3;
  uint64_t alignment = 32;  // used to place tensor data; write general.alignment yourself

  template <typename T>
  static void Put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  static void PutString(std::string& out, const std::string& s) {
    Put<uint64_t>(out, s.size());
    out += s;
  }

  // A key with a raw encoded value (type code followed by the value bytes).
  void KvRaw(const std::string& key, uint32_t type, const std::string& value_bytes) {
    PutString(kv_, key);
    Put<uint32_t>(kv_, type);
    kv_ += value_bytes;
    ++n_kv_;
  }
  template <typename T>
  void Kv(const std::string& key, uint32_t type, T v) {
    std::string b;
    Put<T>(b, v);
    KvRaw(key, type, b);
  }
  void KvU32(const std::string& key, uint32_t v) { Kv<uint32_t>(key, 4, v); }
  void KvF32(const std::string& key, float v) { Kv<float>(key, 6, v); }
  void KvString(const std::string& key, const std::string& v) {
    std::string b;
    PutString(b, v);
    KvRaw(key, 8, b);
  }
  void KvStringArray(const std::string& key, const std::vector<std::string>& v) {
    std::string b;
    Put<uint32_t>(b, 8);
    Put<uint64_t>(b, v.size());
    for (const auto& s : v) PutString(b, s);
    KvRaw(key, 9, b);
  }

  // A tensor with dims ne (fastest first), ggml type code and its bytes; offset_override replaces
  // the computed offset in the tensor info (the data is still placed at the computed offset).
  void Tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, std::string bytes,
              int64_t offset_override = -1) {
    tensors_.push_back({name, std::move(ne), type, std::move(bytes), offset_override});
  }

  // Minimal valid Llama metadata for GgufSource (2 layers, width 64, 4 heads, 2 kv heads).
  void LlamaMetadata(const std::string& skip_key = "") {
    auto u32 = [&](const std::string& k, uint32_t v) {
      if (k != skip_key) KvU32(k, v);
    };
    if (skip_key != "general.architecture") KvString("general.architecture", "llama");
    u32("llama.block_count", 2);
    u32("llama.context_length", 256);
    u32("llama.embedding_length", 64);
    u32("llama.feed_forward_length", 176);
    u32("llama.attention.head_count", 4);
    u32("llama.attention.head_count_kv", 2);
    if (skip_key != "llama.attention.layer_norm_rms_epsilon") {
      KvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    }
    if (skip_key != "tokenizer.ggml.tokens") KvStringArray("tokenizer.ggml.tokens", {"a", "b"});
  }

  std::string Build() const {
    std::string out;
    Put<uint32_t>(out, magic);
    Put<uint32_t>(out, version);
    Put<uint64_t>(out, tensors_.size());
    Put<uint64_t>(out, n_kv_);
    out += kv_;
    std::vector<uint64_t> offsets;
    uint64_t off = 0;
    for (const auto& t : tensors_) {
      offsets.push_back(off);
      off = (off + t.bytes.size() + alignment - 1) / alignment * alignment;
    }
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& t = tensors_[i];
      PutString(out, t.name);
      Put<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) Put<uint64_t>(out, d);
      Put<uint32_t>(out, t.type);
      Put<uint64_t>(out,
                    t.offset_override >= 0 ? static_cast<uint64_t>(t.offset_override) : offsets[i]);
    }
    out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
    const size_t data_start = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      out.resize(data_start + offsets[i], '\0');
      out += tensors_[i].bytes;
    }
    return out;
  }

  void WriteTo(const std::string& path) const {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << Build();
  }

 private:
  struct T {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    std::string bytes;
    int64_t offset_override;
  };
  std::string kv_;
  uint64_t n_kv_ = 0;
  std::vector<T> tensors_;
};

// float32 values as raw little-endian bytes.
inline std::string F32Bytes(const std::vector<float>& v) {
  std::string b(v.size() * 4, '\0');
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace qlsweep::trainer::testing
