// Rules that tie several trial keys together (each key alone may be valid, the mix is not).
#include "sweeps/cross_rules.h"

#include <sys/stat.h>

#include <algorithm>

#include "sweeps/model_shapes.h"
#include "sweeps/schema.h"

namespace qlsweep::sweeps {
namespace {

// The line of the first of `keys` that was set explicitly, or 0.
int FirstSetLine(const std::map<std::string, int>& key_lines,
                 std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = key_lines.find(key);
    if (it != key_lines.end() && it->second > 0) return it->second;
  }
  return 0;
}

// What is wrong with an existing path of the wrong kind ("" when it is missing or fits): a path
// that does not exist yet is the trainer's to report, as a sweep may be planned before its data
// is in place.
std::string PathKindProblem(const std::string& path, bool file_ok, bool folder_ok) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return "";
  if (S_ISDIR(st.st_mode)) return folder_ok ? "" : "'" + path + "' is a directory, not a file";
  if (!S_ISREG(st.st_mode)) {
    return "'" + path + "' is not a regular file (a device, FIFO or socket)";
  }
  return file_ok ? "" : "'" + path + "' is a file, not a folder";
}

// train.method full: a dense 16-bit base on one GPU, without a starting adapter; fp16 (loss
// scaled on one rank) is not sharded.
void CheckMethodRules(const nlohmann::json& resolved, const std::map<std::string, int>& key_lines,
                      std::vector<ConfigIssue>& issues) {
  const auto gpus = resolved.at("hardware").at("gpus").get<int64_t>();
  if (resolved.at("hardware").at("dtype").get<std::string>() == "fp16" && gpus > 1) {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"hardware.dtype", "hardware.gpus"}), "hardware.dtype",
        "fp16 (dynamic loss scaling) runs on one GPU only; use bf16 for hardware.gpus " +
            std::to_string(gpus)});
  }
  if (resolved.at("train").at("method").get<std::string>() != "full") return;
  const auto quant = resolved.at("quantization").at("type").get<std::string>();
  if (quant != "none") {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"quantization.type", "train.method"}), "quantization.type",
        "train.method full trains every weight in 16-bit: set quantization.type to none (it is '" +
            quant + "')"});
  }
  if (gpus != 1) {
    issues.push_back(
        ConfigIssue{"", FirstSetLine(key_lines, {"hardware.gpus", "train.method"}), "hardware.gpus",
                    "train.method full runs on one GPU: set hardware.gpus to 1 (it is " +
                        std::to_string(gpus) + ")"});
  }
  if (!resolved.at("lora").at("init").get<std::string>().empty()) {
    issues.push_back(
        ConfigIssue{"", FirstSetLine(key_lines, {"lora.init", "train.method"}), "lora.init",
                    "train.method full has no adapter to start from: remove lora.init"});
  }
}

}  // namespace

void ResetIgnoredKeys(nlohmann::json& resolved) {
  if (resolved.at("train").at("method").get<std::string>() != "full") return;
  for (const auto& spec : Schema()) {
    if (spec.Section() == "lora") resolved["lora"][spec.Leaf()] = spec.default_value;
  }
}

std::vector<ConfigIssue> CheckCrossRules(const nlohmann::json& resolved,
                                         const std::map<std::string, int>& key_lines) {
  std::vector<ConfigIssue> issues;
  const auto steps = resolved.at("train").at("steps").get<int64_t>();
  const auto warmup = resolved.at("train").at("warmup_steps").get<int64_t>();
  if (warmup > steps) {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"train.warmup_steps", "train.steps"}), "train.warmup_steps",
        "train.warmup_steps (" + std::to_string(warmup) + ") may not exceed train.steps (" +
            std::to_string(steps) + ")"});
  }
  if (resolved.at("train").at("offload_activations").get<bool>() &&
      !resolved.at("train").at("grad_checkpointing").get<bool>()) {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"train.offload_activations", "train.grad_checkpointing"}),
        "train.offload_activations",
        "offloads the inputs that checkpointing saves: set train.grad_checkpointing to true"});
  }
  if (!resolved.at("train").at("recompute_attention").get<bool>() &&
      !resolved.at("train").at("grad_checkpointing").get<bool>()) {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"train.recompute_attention", "train.grad_checkpointing"}),
        "train.recompute_attention",
        "false keeps attention's tensors that checkpointing would recompute: set "
        "train.grad_checkpointing to true (without it nothing is recomputed)"});
  }
  if (resolved.at("distributed").at("zero_stage").get<int64_t>() == 3 &&
      resolved.at("hardware").at("gpus").get<int64_t>() > 1 &&
      !resolved.at("train").at("grad_checkpointing").get<bool>()) {
    // Without checkpointing the backward pass would meet every layer's base released.
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"distributed.zero_stage", "train.grad_checkpointing"}),
        "distributed.zero_stage",
        "stage 3 gathers a layer's sharded base only for its forward pass and its checkpointed "
        "recompute, so it needs train.grad_checkpointing true (or use stage 2)"});
  }
  if (resolved.at("train").at("offload_embeddings").get<bool>()) {
    const auto skip = resolved.at("quantization").at("skip").get<std::vector<std::string>>();
    const int line = FirstSetLine(key_lines, {"train.offload_embeddings"});
    if (std::find(skip.begin(), skip.end(), "embed") == skip.end()) {
      issues.push_back(ConfigIssue{"", line, "train.offload_embeddings",
                                   "needs a 16-bit embedding table: keep 'embed' in "
                                   "quantization.skip"});
    }
    if (resolved.at("train").at("method").get<std::string>() == "full") {
      issues.push_back(ConfigIssue{"", line, "train.offload_embeddings",
                                   "train.method full trains the embedding table on the GPU: set "
                                   "train.offload_embeddings to false"});
    }
    const auto preset = resolved.at("model").at("preset").get<std::string>();
    const auto& known = PresetNames();
    if (resolved.at("model").at("weights").get<std::string>().empty() &&
        std::find(known.begin(), known.end(), preset) != known.end() &&
        PresetShape(preset).tie_embeddings) {
      issues.push_back(ConfigIssue{"", line, "train.offload_embeddings",
                                   "model.preset " + preset +
                                       " ties its embeddings to the output layer, which the loss "
                                       "needs on the GPU: set train.offload_embeddings to false"});
    }
  }
  const auto source = resolved.at("data").at("source").get<std::string>();
  if (source != "synthetic" && resolved.at("data").at("path").get<std::string>().empty()) {
    issues.push_back(ConfigIssue{"", FirstSetLine(key_lines, {"data.path", "data.source"}),
                                 "data.path", "required when data.source is '" + source + "'"});
  }
  const auto weights = resolved.at("model").at("weights").get<std::string>();
  if (!weights.empty() && key_lines.count("model.preset") != 0) {
    issues.push_back(
        ConfigIssue{"", FirstSetLine(key_lines, {"model.preset", "model.weights"}), "model.preset",
                    "not allowed with model.weights: the weights bring their own shapes (remove "
                    "model.preset; a trial with weights records no preset)"});
  }
  // Paths that exist but are of the wrong kind (a folder given for a file, a device, ...).
  struct PathRule {
    const char* key;
    bool file_ok, folder_ok;
    const char* expected;
  };
  for (const PathRule& rule :
       {PathRule{"model.weights", true, true, "an HF checkpoint folder or a .gguf file"},
        PathRule{"model.tokenizer", true, true, "a tokenizer file, or a folder holding one"},
        PathRule{"data.path", true, false, "a data file"},
        PathRule{"lora.init", false, true, "an adapter folder"}}) {
    const std::string key = rule.key;
    const size_t dot = key.find('.');
    const auto path = resolved.at(key.substr(0, dot)).at(key.substr(dot + 1)).get<std::string>();
    std::string problem = PathKindProblem(path, rule.file_ok, rule.folder_ok);
    if (problem.empty() && key == "model.weights" && path.ends_with(".gguf")) {
      problem = PathKindProblem(path, true, false);
    }
    if (!problem.empty()) {
      issues.push_back(ConfigIssue{"", FirstSetLine(key_lines, {rule.key}), key,
                                   problem + "; expected " + rule.expected});
    }
  }
  const auto& hardware = resolved.at("hardware");
  if (hardware.at("host_memory_mib").get<int64_t>() > 0 &&
      hardware.at("device").get<std::string>() != "cpu") {
    issues.push_back(ConfigIssue{
        "", FirstSetLine(key_lines, {"hardware.host_memory_mib", "hardware.device"}),
        "hardware.host_memory_mib",
        "limits a CPU trial's memory and needs hardware.device cpu (a GPU's memory is limited by "
        "hardware.gpu_profile)"});
  }
  CheckMethodRules(resolved, key_lines, issues);
  // A preset's context length is known before anything runs (real weights are checked on load).
  if (weights.empty()) {
    const auto preset = PresetShape(resolved.at("model").at("preset").get<std::string>());
    const auto seq_len = resolved.at("data").at("seq_len").get<int64_t>();
    if (seq_len > preset.max_seq) {
      issues.push_back(
          ConfigIssue{"", FirstSetLine(key_lines, {"data.seq_len", "model.preset"}), "data.seq_len",
                      std::to_string(seq_len) + " exceeds the " + preset.name + " context of " +
                          std::to_string(preset.max_seq) + " tokens"});
    }
  }
  return issues;
}

}  // namespace qlsweep::sweeps
