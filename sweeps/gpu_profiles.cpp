// GPU profiles read from the YAML text compiled in from data/gpu_profiles.yaml.
#include "sweeps/gpu_profiles.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "sweeps/gpu_profiles_yaml.h"
#include "sweeps/suggest.h"

namespace qlsweep::sweeps {
namespace {

const std::vector<std::string> kFields = {
    "name", "memory_bytes", "bandwidth_gbps", "bf16_tflops", "sms", "compute_capability", "note"};

template <typename T>
T Field(const YAML::Node& entry, const std::string& key, const std::string& where) {
  const YAML::Node node = entry[key];
  if (!node || !node.IsScalar())
    throw std::invalid_argument(where + ": missing scalar '" + key + "'");
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw std::invalid_argument(where + ": '" + key + "' has the wrong type: " + node.Scalar());
  }
}

GpuProfile ParseEntry(const YAML::Node& entry, size_t index) {
  std::string where = "gpu profile #" + std::to_string(index + 1);
  if (!entry.IsMap()) throw std::invalid_argument(where + ": expected a mapping");
  for (const auto& item : entry) {
    const auto key = item.first.as<std::string>();
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      throw std::invalid_argument(where + ": unknown field '" + key + "'" +
                                  DidYouMean(key, kFields));
    }
  }
  GpuProfile p;
  p.name = Field<std::string>(entry, "name", where);
  where += " (" + p.name + ")";
  p.memory_bytes = Field<int64_t>(entry, "memory_bytes", where);
  p.bandwidth_gbps = Field<double>(entry, "bandwidth_gbps", where);
  p.bf16_tflops = Field<double>(entry, "bf16_tflops", where);
  p.sms = Field<int>(entry, "sms", where);
  p.compute_capability = Field<std::string>(entry, "compute_capability", where);
  p.note = Field<std::string>(entry, "note", where);
  if (p.name.empty()) throw std::invalid_argument(where + ": empty name");
  if (p.memory_bytes <= 0 || p.bandwidth_gbps <= 0 || p.bf16_tflops < 0 || p.sms <= 0) {
    throw std::invalid_argument(where + ": memory, bandwidth and SMs must be positive, " +
                                "bf16_tflops at least 0");
  }
  return p;
}

}  // namespace

std::vector<GpuProfile> ParseGpuProfiles(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(std::string("gpu profiles: ") + e.what());
  }
  if (!root.IsMap() || !root["profiles"] || !root["profiles"].IsSequence()) {
    throw std::invalid_argument("gpu profiles: expected a top-level `profiles:` list");
  }
  std::vector<GpuProfile> out;
  std::set<std::string> names;
  for (size_t i = 0; i < root["profiles"].size(); ++i) {
    GpuProfile p = ParseEntry(root["profiles"][i], i);
    if (!names.insert(p.name).second) {
      throw std::invalid_argument("gpu profiles: '" + p.name + "' is listed twice");
    }
    out.push_back(std::move(p));
  }
  return out;
}

const std::vector<GpuProfile>& GpuProfiles() {
  static const std::vector<GpuProfile> profiles = ParseGpuProfiles(kGpuProfilesYaml);
  return profiles;
}

const GpuProfile* FindGpuProfile(std::string_view name) {
  for (const auto& p : GpuProfiles()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> GpuProfileNames() {
  std::vector<std::string> names;
  for (const auto& p : GpuProfiles()) names.push_back(p.name);
  return names;
}

std::string GpuProfileError(std::string_view name) {
  if (name.empty() || FindGpuProfile(name) != nullptr) return "";
  const std::vector<std::string> names = GpuProfileNames();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  std::string hint = DidYouMean(name, names);
  if (hint.empty()) {  // "rtx4050" -> "rtx4050-laptop-6gb": a unique profile the name begins
    std::vector<std::string> prefixed;
    for (const auto& n : names) {
      if (n.rfind(name, 0) == 0) prefixed.push_back(n);
    }
    if (prefixed.size() == 1) hint = "; did you mean '" + prefixed.front() + "'?";
  }
  return "unknown GPU profile '" + std::string(name) + "' (known: " + known + ")" + hint;
}

}  // namespace qlsweep::sweeps
