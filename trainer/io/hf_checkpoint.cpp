// HfCheckpoint: config.json parsed into a ModelShape, safetensors headers indexed and checked.
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/shape_text.h"

#include <filesystem>
#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "sweeps/input_file.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A JSON object read from `path`: errors name the file, line and column (sweeps/input_file.h).
json ReadJsonObject(const fs::path& path) {
  json j = sweeps::ReadJsonFile(path.string());
  if (!j.is_object()) {
    throw std::runtime_error(path.string() + ": invalid JSON: expected an object, got " +
                             std::string(j.type_name()));
  }
  return j;
}

json ParseJson(const std::string& path, const std::string& text) {
  json j = sweeps::ParseJsonText(path, text);
  if (!j.is_object()) {
    throw std::runtime_error(path + ": invalid JSON: expected an object, got " +
                             std::string(j.type_name()));
  }
  return j;
}

// A config.json's field names, for messages.
const sweeps::ShapeKeyNames kHfKeys = {
    "vocab_size",          "hidden_size",         "intermediate_size",       "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "max_position_embeddings", "rope_theta",
    "rms_norm_eps"};

// model_type: absent or "llama"; "mistral" only where it is a Llama (no sliding window that could
// apply: sliding_window null, or at least max_position_embeddings).
void CheckModelType(const json& j, const std::string& path, int64_t max_seq) {
  if (!j.contains("model_type") || j["model_type"].is_null()) return;
  if (!j["model_type"].is_string()) {
    throw std::runtime_error(path +
                             ": key \"model_type\" has the wrong type: " + j["model_type"].dump());
  }
  const std::string type = j["model_type"].get<std::string>();
  if (type == "llama") return;
  if (type == "mistral") {
    const json window = j.value("sliding_window", json());
    if (window.is_null() || (window.is_number_integer() && window.get<int64_t>() >= max_seq)) {
      return;
    }
    throw std::runtime_error(path + ": key \"sliding_window\" (" + window.dump() +
                             ") is not supported: a Mistral model is read only without a sliding "
                             "window shorter than max_position_embeddings (" +
                             std::to_string(max_seq) + ")");
  }
  throw std::runtime_error(path + ": key \"model_type\" is \"" + type +
                           "\"; only \"llama\" (and \"mistral\" without a sliding window) "
                           "checkpoints are supported");
}

// A shard file name from the index's weight_map: a plain file name in the folder, never a path
// that could leave it (`..`, absolute, separators).
std::string ShardName(const json& value, const std::string& index, const std::string& tensor) {
  if (!value.is_string()) {
    throw std::runtime_error(index + ": key \"weight_map\" entry \"" + tensor +
                             "\" must be a file name string, got " + value.dump());
  }
  const std::string shard = value.get<std::string>();
  if (shard.empty() || shard == "." || shard == ".." ||
      shard.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    throw std::runtime_error(index + ": key \"weight_map\" entry \"" + tensor +
                             "\" names shard \"" + shard +
                             "\", which is not a plain file name in the checkpoint folder "
                             "(no '/', '\\', '..' or absolute paths)");
  }
  return shard;
}

// The key's value as T; throws naming the file and key when absent (and required) or mistyped.
template <typename T>
T Get(const json& j, const std::string& path, const std::string& key, const T* fallback) {
  if (!j.contains(key) || j[key].is_null()) {
    if (fallback) return *fallback;
    throw std::runtime_error(path + ": required key \"" + key + "\" is missing");
  }
  const json& v = j[key];
  const bool ok =
      std::is_same_v<T, bool> ? v.is_boolean()
      : std::is_integral_v<T>
          ? v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)
      : std::is_floating_point_v<T> ? v.is_number()
                                    : v.is_string();
  if (!ok) throw std::runtime_error(path + ": key \"" + key + "\" has the wrong type: " + v.dump());
  return v.get<T>();
}

int64_t Required(const json& j, const std::string& path, const std::string& key) {
  const int64_t v = Get<int64_t>(j, path, key, nullptr);
  if (v <= 0) throw std::runtime_error(path + ": key \"" + key + "\" must be positive");
  return v;
}

// RoPE scaling from rope_scaling (transformers 4) or rope_parameters (transformers 5): none, or
// Llama 3.1's "llama3"; any other kind (linear, dynamic, yarn, ...) is rejected naming the key.
sweeps::RopeScaling ParseRopeScaling(const json& j, const std::string& path) {
  sweeps::RopeScaling out;
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    if (!j.contains(key) || !j[key].is_object()) continue;
    const json& p = j[key];
    const std::string where = path + " " + key;
    std::string type = "default";
    for (const char* type_key : {"rope_type", "type"}) {
      if (p.contains(type_key) && p[type_key].is_string()) type = p[type_key].get<std::string>();
    }
    if (type == "default") continue;
    if (type != "llama3") {
      throw std::runtime_error(path + ": key \"" + key + "\" (" + p.dump() +
                               ") is not supported: " + "RoPE scaling of type \"" + type +
                               "\"; only \"llama3\" is");
    }
    out.factor = Get<double>(p, where, "factor", nullptr);
    out.low_freq_factor = Get<double>(p, where, "low_freq_factor", nullptr);
    out.high_freq_factor = Get<double>(p, where, "high_freq_factor", nullptr);
    out.original_max_seq = Get<int64_t>(p, where, "original_max_position_embeddings", nullptr);
    if (out.factor <= 0 || out.high_freq_factor <= out.low_freq_factor ||
        out.original_max_seq <= 0) {
      throw std::runtime_error(path + ": key \"" + key + "\" (" + p.dump() +
                               ") needs factor > 0, " +
                               "high_freq_factor > low_freq_factor and a positive " +
                               "original_max_position_embeddings");
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::vector<int64_t>> ExpectedLlamaTensors(const sweeps::ModelShape& s) {
  const int64_t q = s.heads * s.head_dim(), kv = s.kv_heads * s.head_dim();
  std::map<std::string, std::vector<int64_t>> out = {
      {"model.embed_tokens.weight", {s.vocab, s.hidden}}, {"model.norm.weight", {s.hidden}}};
  if (!s.tie_embeddings) out["lm_head.weight"] = {s.vocab, s.hidden};
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out[p + "self_attn.q_proj.weight"] = {q, s.hidden};
    out[p + "self_attn.k_proj.weight"] = {kv, s.hidden};
    out[p + "self_attn.v_proj.weight"] = {kv, s.hidden};
    out[p + "self_attn.o_proj.weight"] = {s.hidden, q};
    out[p + "mlp.gate_proj.weight"] = {s.intermediate, s.hidden};
    out[p + "mlp.up_proj.weight"] = {s.intermediate, s.hidden};
    out[p + "mlp.down_proj.weight"] = {s.hidden, s.intermediate};
    out[p + "input_layernorm.weight"] = {s.hidden};
    out[p + "post_attention_layernorm.weight"] = {s.hidden};
  }
  return out;
}

sweeps::ModelShape ParseHfConfig(const std::string& path, const std::string& text) {
  const json j = ParseJson(path, text);
  sweeps::ModelShape s;
  s.hidden = Required(j, path, "hidden_size");
  s.intermediate = Required(j, path, "intermediate_size");
  s.layers = Required(j, path, "num_hidden_layers");
  s.heads = Required(j, path, "num_attention_heads");
  s.vocab = Required(j, path, "vocab_size");
  s.kv_heads = Get<int64_t>(j, path, "num_key_value_heads", &s.heads);
  const int64_t max_seq = 2048;
  s.max_seq = Get<int64_t>(j, path, "max_position_embeddings", &max_seq);
  double theta = 10000.0;
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    theta = Get<double>(j["rope_parameters"], path + " rope_parameters", "rope_theta", &theta);
  }
  s.rope_theta = Get<double>(j, path, "rope_theta", &theta);
  const double eps = 1e-6;
  s.rms_eps = Get<double>(j, path, "rms_norm_eps", &eps);
  const bool tied = false;
  s.tie_embeddings = Get<bool>(j, path, "tie_word_embeddings", &tied);
  s.rope_scaling = ParseRopeScaling(j, path);
  CheckModelType(j, path, s.max_seq);
  if (const auto problem = sweeps::CheckModelShape(s, kHfKeys)) {
    throw std::runtime_error(path + ": key \"" + problem->key + "\" " + problem->problem);
  }
  const int64_t head_dim = s.head_dim();
  if (Get<int64_t>(j, path, "head_dim", &head_dim) != head_dim) {
    throw std::runtime_error(path +
                             ": key \"head_dim\" must equal hidden_size / num_attention_heads (" +
                             std::to_string(head_dim) + ")");
  }
  const std::string silu = "silu";
  if (Get<std::string>(j, path, "hidden_act", &silu) != silu) {
    throw std::runtime_error(path + ": key \"hidden_act\" must be \"silu\"");
  }
  const bool no_bias = false;
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    if (Get<bool>(j, path, key, &no_bias)) {
      throw std::runtime_error(path + ": key \"" + key + "\" is true; biases are not supported");
    }
  }
  return s;
}

HfCheckpoint::HfCheckpoint(const std::string& folder) : folder_(folder) {
  const fs::path dir(folder);
  if (const std::string problem = sweeps::FolderProblem(folder); !problem.empty()) {
    throw std::runtime_error(folder + ": " + problem + " (an HF checkpoint folder is expected)");
  }
  const fs::path config = dir / "config.json";
  if (!fs::exists(config)) throw std::runtime_error(config.string() + ": missing (no config.json)");
  shape_ = ParseHfConfig(config.string(), sweeps::ReadWholeFile(config.string()));
  fs::path name = dir.lexically_normal().filename();
  if (name.empty()) name = dir.lexically_normal().parent_path().filename();
  shape_.name = name.string();

  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const json j = ReadJsonObject(index);
    if (!j.contains("weight_map") || !j["weight_map"].is_object()) {
      throw std::runtime_error(index.string() + ": required key \"weight_map\" is missing");
    }
    std::map<std::string, const SafetensorsFile*> shards;
    for (const auto& [tensor, shard_json] : j["weight_map"].items()) {
      const std::string shard = ShardName(shard_json, index.string(), tensor);
      if (!shards.count(shard)) {
        const fs::path shard_path = dir / shard;
        if (!fs::exists(shard_path)) {
          throw std::runtime_error(index.string() + ": shard " + shard + " (listed for tensor " +
                                   tensor + ") is absent");
        }
        files_.push_back(std::make_unique<SafetensorsFile>(shard_path.string()));
        shards[shard] = files_.back().get();
      }
      if (!shards[shard]->Has(tensor)) {
        throw std::runtime_error(index.string() + ": tensor " + tensor + " is listed in " + shard +
                                 " but that file does not hold it");
      }
      where_[tensor] = shards[shard];
    }
  } else if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
    for (const auto& [tensor, entry] : files_.back()->entries())
      where_[tensor] = files_.back().get();
  } else {
    throw std::runtime_error(folder +
                             ": no weights (neither model.safetensors nor "
                             "model.safetensors.index.json)");
  }

  for (const auto& [tensor, want] : ExpectedLlamaTensors(shape_)) {
    auto it = where_.find(tensor);
    if (it == where_.end()) {
      throw std::runtime_error(folder + ": tensor " + tensor + " is missing from the checkpoint");
    }
    const auto& got = it->second->entries().at(tensor).shape;
    if (got != want) {
      throw std::runtime_error(it->second->path() + ": tensor " + tensor + " has shape " +
                               ShapeText(got) + ", expected " + ShapeText(want) + " from " +
                               config.string());
    }
  }
}

const SafetensorsFile& HfCheckpoint::FileOf(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw std::runtime_error(folder_ + ": no tensor " + name);
  return *it->second;
}

std::vector<int64_t> HfCheckpoint::TensorShape(const std::string& name) const {
  return FileOf(name).entries().at(name).shape;
}

torch::Tensor HfCheckpoint::Read(const std::string& name) {
  const SafetensorsFile& file = FileOf(name);
  torch::Tensor t = file.Read(name);
  if (!torch::isFloatingType(t.scalar_type())) {
    throw std::runtime_error(file.path() + ": tensor " + name + " has non-float dtype " +
                             std::string(c10::toString(t.scalar_type())));
  }
  return t.to(torch::kFloat32).contiguous();
}

}  // namespace qlsweep::trainer
