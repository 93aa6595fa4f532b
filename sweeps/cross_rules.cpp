// Rules that tie several trial keys together (each key alone may be valid, the mix is not).
#include "sweeps/cross_rules.h"

#include "sweeps/model_shapes.h"

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

}  // namespace

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
  const auto source = resolved.at("data").at("source").get<std::string>();
  if (source != "synthetic" && resolved.at("data").at("path").get<std::string>().empty()) {
    issues.push_back(ConfigIssue{"", FirstSetLine(key_lines, {"data.path", "data.source"}),
                                 "data.path", "required when data.source is '" + source + "'"});
  }
  // A preset's context length is known before anything runs (real weights are checked on load).
  if (resolved.at("model").at("weights").get<std::string>().empty()) {
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
