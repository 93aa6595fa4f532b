// Assignments -> TrialConfig: defaults applied, every key checked, cross-field rules, id computed.
#include "sweeps/resolve.h"

#include <map>

#include "sweeps/cross_rules.h"
#include "sweeps/gpu_profiles.h"
#include "sweeps/schema.h"
#include "sweeps/trial_id.h"
#include "sweeps/value_check.h"

namespace qlsweep::sweeps {
namespace {

int Int(const nlohmann::json& section, const char* key) { return section.at(key).get<int>(); }
double Float(const nlohmann::json& section, const char* key) {
  return section.at(key).get<double>();
}
bool Bool(const nlohmann::json& section, const char* key) { return section.at(key).get<bool>(); }
std::string Str(const nlohmann::json& section, const char* key) {
  return section.at(key).get<std::string>();
}
std::vector<std::string> List(const nlohmann::json& section, const char* key) {
  return section.at(key).get<std::vector<std::string>>();
}

}  // namespace

std::optional<TrialConfig> ResolveAssignments(const Assignments& assignments,
                                              const std::string& file,
                                              const std::string& trial_label,
                                              std::vector<ConfigIssue>& issues) {
  std::map<std::string, const Assignment*> latest;
  bool ok = true;
  for (const auto& assignment : assignments) {
    if (FindKey(assignment.key) == nullptr) {
      issues.push_back(UnknownKeyIssue(file, assignment.line, assignment.key));
      ok = false;
    } else {
      latest[assignment.key] = &assignment;
    }
  }
  nlohmann::json resolved = nlohmann::json::object();
  std::map<std::string, int> key_lines;
  for (const auto& spec : Schema()) {
    nlohmann::json value = spec.default_value;
    if (auto it = latest.find(spec.key); it != latest.end()) {
      CheckedValue checked = CheckValue(spec, it->second->value);
      if (checked.error.empty() && spec.key == "hardware.gpu_profile") {
        checked.error = GpuProfileError(checked.value.get<std::string>());
      }
      if (!checked.error.empty()) {
        issues.push_back(ConfigIssue{file, it->second->line, spec.key, checked.error});
        ok = false;
        continue;
      }
      value = std::move(checked.value);
      key_lines[spec.key] = it->second->line;
    }
    resolved[spec.Section()][spec.Leaf()] = std::move(value);
  }
  if (!ok) return std::nullopt;
  std::vector<ConfigIssue> cross = CheckCrossRules(resolved, key_lines);
  // Real weights bring their own shapes: the record names no preset (CheckCrossRules refuses one
  // that was set).
  if (!resolved["model"]["weights"].get<std::string>().empty()) resolved["model"]["preset"] = "";
  ResetIgnoredKeys(resolved);
  for (auto& issue : cross) {
    issue.file = file;
    if (!trial_label.empty()) issue.message += " (in trial '" + trial_label + "')";
    issues.push_back(std::move(issue));
  }
  if (!cross.empty()) return std::nullopt;
  return TrialFromResolved(resolved, "");
}

TrialConfig TrialFromResolved(const nlohmann::json& resolved, std::string name) {
  TrialConfig t;
  t.id = TrialId(resolved);
  t.name = std::move(name);
  const auto& model = resolved.at("model");
  t.model = ModelConfig{Str(model, "preset"), Str(model, "weights"), Str(model, "tokenizer")};
  const auto& quant = resolved.at("quantization");
  t.quantization = QuantizationConfig{Str(quant, "type"), Bool(quant, "double_quant"),
                                      Int(quant, "block_size"), List(quant, "skip")};
  const auto& lora = resolved.at("lora");
  t.lora = LoraConfig{Int(lora, "r"), Float(lora, "alpha"), Float(lora, "dropout"),
                      List(lora, "targets"), Str(lora, "init")};
  const auto& data = resolved.at("data");
  t.data = DataConfig{Str(data, "source"), Str(data, "path"), Int(data, "seq_len"),
                      Float(data, "eval_fraction"), Str(data, "prompt_template")};
  const auto& train = resolved.at("train");
  t.train = TrainConfig{Int(train, "steps"),
                        Int(train, "micro_batch"),
                        Int(train, "grad_accum"),
                        Float(train, "max_grad_norm"),
                        Int(train, "warmup_steps"),
                        Bool(train, "grad_checkpointing"),
                        Int(train, "seed"),
                        Str(train, "method"),
                        Bool(train, "offload_activations"),
                        Bool(train, "offload_embeddings"),
                        Bool(train, "recompute_attention")};
  const auto& optim = resolved.at("optim");
  t.optim = OptimConfig{Str(optim, "name"),    Float(optim, "lr"),  Float(optim, "beta1"),
                        Float(optim, "beta2"), Float(optim, "eps"), Float(optim, "weight_decay")};
  const auto& eval = resolved.at("eval");
  t.eval = EvalConfig{Int(eval, "interval"), Int(eval, "sequences")};
  const auto& hw = resolved.at("hardware");
  t.hardware =
      HardwareConfig{Str(hw, "device"), Str(hw, "dtype"), Str(hw, "gpu_profile"), Int(hw, "gpus")};
  t.distributed = DistributedConfig{Int(resolved.at("distributed"), "zero_stage")};
  t.resolved = resolved;
  return t;
}

const nlohmann::json& ResolvedValue(const nlohmann::json& resolved, const std::string& key) {
  const size_t dot = key.find('.');
  return resolved.at(key.substr(0, dot)).at(key.substr(dot + 1));
}

}  // namespace qlsweep::sweeps
