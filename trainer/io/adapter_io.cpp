// Adapter save/load in HF PEFT's on-disk layout, so adapters move between qlsweep and PEFT.
#include "trainer/io/adapter_io.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "trainer/io/safetensors.h"
#include "trainer/io/safetensors_writer.h"
#include "trainer/io/shape_text.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPrefix = "base_model.model.";
constexpr const char* kWeights = "adapter_model.safetensors";
constexpr const char* kConfig = "adapter_config.json";

// q -> q_proj, in the order of the spec's set (sorted).
std::vector<std::string> ModuleNames(const LoraSpec& lora) {
  std::vector<std::string> out;
  for (const auto& t : lora.targets) out.push_back(t + "_proj");
  return out;
}

[[noreturn]] void Reject(const fs::path& file, const std::string& what) {
  throw std::invalid_argument(file.string() + ": " + what);
}

// Checks adapter_config.json against the trial's LoRA settings.
void CheckConfig(const fs::path& file, const LoraSpec& lora) {
  std::ifstream in(file);
  if (!in) Reject(file, "missing (an adapter folder needs adapter_config.json)");
  json cfg;
  try {
    cfg = json::parse(in);
  } catch (const json::exception& e) {
    Reject(file, std::string("not valid JSON: ") + e.what());
  }
  auto text = [&](const char* key, const std::string& fallback) {
    return cfg.contains(key) && cfg[key].is_string() ? cfg[key].get<std::string>() : fallback;
  };
  if (text("peft_type", "LORA") != "LORA") Reject(file, "peft_type is " + text("peft_type", ""));
  if (!cfg.contains("r") || !cfg["r"].is_number_integer() || cfg["r"].get<int64_t>() != lora.r) {
    Reject(file, "r is " + (cfg.contains("r") ? cfg["r"].dump() : std::string("missing")) +
                     ", the trial has lora.r " + std::to_string(lora.r));
  }
  if (!cfg.contains("lora_alpha") || !cfg["lora_alpha"].is_number() ||
      cfg["lora_alpha"].get<double>() != lora.alpha) {
    Reject(file,
           "lora_alpha is " +
               (cfg.contains("lora_alpha") ? cfg["lora_alpha"].dump() : std::string("missing")) +
               ", the trial has lora.alpha " + json(lora.alpha).dump());
  }
  std::set<std::string> targets;
  if (cfg.contains("target_modules") && cfg["target_modules"].is_array()) {
    for (const auto& t : cfg["target_modules"])
      targets.insert(t.is_string() ? t.get<std::string>() : t.dump());
  }
  const auto wanted = ModuleNames(lora);
  if (targets != std::set<std::string>(wanted.begin(), wanted.end())) {
    Reject(file, "target_modules " + json(targets).dump() + " differ from the trial's " +
                     json(wanted).dump());
  }
  for (const char* flag : {"use_dora", "use_rslora", "fan_in_fan_out", "lora_bias"}) {
    if (cfg.contains(flag) && cfg[flag].is_boolean() && cfg[flag].get<bool>()) {
      Reject(file, std::string(flag) + " is true; only plain LoRA is supported");
    }
  }
  if (cfg.contains("layers_to_transform") && !cfg["layers_to_transform"].is_null()) {
    Reject(file, "layers_to_transform is set; adapters on every layer are expected");
  }
  for (const char* pattern : {"rank_pattern", "alpha_pattern"}) {
    if (cfg.contains(pattern) && cfg[pattern].is_object() && !cfg[pattern].empty()) {
      Reject(file, std::string(pattern) + " is set; per-module ranks or alphas are not supported");
    }
  }
  if (text("bias", "none") != "none") Reject(file, "bias is " + text("bias", "") + ", not none");
}

void WriteTextFile(const fs::path& path, const std::string& text) {
  const auto partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(path.string() + ": write failed");
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw std::runtime_error(path.string() + ": cannot rename " + partial + " into place");
  }
}

}  // namespace

void SaveAdapter(const NamedProjections& projections, const LoraSpec& lora, const std::string& dir,
                 const std::string& base_model) {
  const fs::path folder(dir);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create the adapter folder: " + ec.message());
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [path, proj] : projections) {
    if (!proj->has_adapter()) continue;
    tensors.emplace_back(kPrefix + path + ".lora_A.weight", proj->lora_a());
    tensors.emplace_back(kPrefix + path + ".lora_B.weight", proj->lora_b());
  }
  WriteSafetensors((folder / kWeights).string(), tensors, {{"format", "pt"}});
  // Only fields of PEFT 0.21's LoraConfig: PEFT warns about any other key ("Unexpected keyword
  // arguments"); lora_alpha is an int there, so a whole alpha is written as one.
  const bool whole_alpha = lora.alpha == std::floor(lora.alpha) && std::fabs(lora.alpha) < 1e9;
  const json alpha = whole_alpha ? json(static_cast<int64_t>(lora.alpha)) : json(lora.alpha);
  const json config = {{"peft_type", "LORA"},
                       {"task_type", "CAUSAL_LM"},
                       {"base_model_name_or_path", base_model},
                       {"r", lora.r},
                       {"lora_alpha", alpha},
                       {"lora_dropout", lora.dropout},
                       {"target_modules", ModuleNames(lora)},
                       {"bias", "none"},
                       {"fan_in_fan_out", false},
                       {"inference_mode", true},
                       {"init_lora_weights", true},
                       {"use_rslora", false},
                       {"use_dora", false},
                       {"modules_to_save", nullptr},
                       {"rank_pattern", json::object()},
                       {"alpha_pattern", json::object()}};
  WriteTextFile(folder / kConfig, config.dump(2) + "\n");
}

void CheckAdapterConfig(const std::string& dir, const LoraSpec& lora) {
  if (!fs::is_directory(dir)) throw std::invalid_argument(dir + ": no such adapter folder");
  CheckConfig(fs::path(dir) / kConfig, lora);
}

void LoadAdapter(const NamedProjections& projections, const LoraSpec& lora,
                 const std::string& dir) {
  const fs::path folder(dir);
  CheckAdapterConfig(dir, lora);
  const fs::path weights = folder / kWeights;
  if (!fs::exists(weights)) Reject(weights, "missing");
  std::unique_ptr<SafetensorsFile> file;
  try {
    file = std::make_unique<SafetensorsFile>(weights.string());
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  std::set<std::string> unused;
  for (const auto& [name, entry] : file->entries()) unused.insert(name);
  torch::NoGradGuard no_grad;
  for (const auto& [path, proj] : projections) {
    if (!proj->has_adapter()) continue;
    for (auto [suffix, param] : {std::pair{".lora_A.weight", proj->lora_a()},
                                 std::pair{".lora_B.weight", proj->lora_b()}}) {
      const std::string name = kPrefix + path + suffix;
      if (!file->Has(name)) Reject(weights, "tensor " + name + " is missing");
      const auto& shape = file->entries().at(name).shape;
      if (shape != param.sizes().vec()) {
        Reject(weights, "tensor " + name + " has shape " + ShapeText(shape) + ", the trial needs " +
                            ShapeText(param.sizes().vec()));
      }
      param.copy_(file->Read(name));
      unused.erase(name);
    }
  }
  if (!unused.empty()) {
    Reject(weights, "tensor " + *unused.begin() + " belongs to no adapter of this trial (" +
                        std::to_string(unused.size()) + " such tensors)");
  }
}

}  // namespace qlsweep::trainer
