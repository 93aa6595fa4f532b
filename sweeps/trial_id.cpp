// Trial identity: the canonical text of a resolved config, its short hash, its flattened params.
#include "sweeps/trial_id.h"

#include <cstdio>

#include "sweeps/schema.h"

namespace qlsweep::sweeps {
namespace {

void FlattenInto(const nlohmann::json& node, const std::string& prefix,
                 std::map<std::string, std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      FlattenInto(value, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else {
    out[prefix] = node.dump();
  }
}

}  // namespace

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string CanonicalJson(const nlohmann::json& resolved) {
  nlohmann::json kept = resolved;
  for (const auto& spec : Schema()) {
    if (spec.id_at_default) continue;
    auto section = kept.find(spec.Section());
    if (section == kept.end()) continue;
    auto leaf = section->find(spec.Leaf());
    if (leaf != section->end() && *leaf == spec.default_value) section->erase(leaf);
    if (section->empty()) kept.erase(section);
  }
  return kept.dump();
}

std::string TrialId(const nlohmann::json& resolved) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(Fnv1a64(CanonicalJson(resolved))));
  return std::string(hex, 12);
}

std::map<std::string, std::string> FlattenParams(const nlohmann::json& resolved) {
  std::map<std::string, std::string> out;
  FlattenInto(resolved, "", out);
  return out;
}

}  // namespace qlsweep::sweeps
