// Trial identity: the canonical text of a resolved config, its short hash, its flattened params.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qlsweep::sweeps {

// 64-bit FNV-1a: offset basis 0xcbf29ce484222325, prime 0x100000001b3, over the bytes of `text`.
uint64_t Fnv1a64(std::string_view text);

// The canonical text of a resolved config: compact nlohmann::json dump, keys sorted (std::map),
// int keys as integers, float keys as doubles in shortest round-trip form (32.0, 0.0002, 1e-08).
// `resolved` must come from the resolver (TrialConfig::resolved), which fixes the number kinds.
// Keys added to the schema later (KeySpec::id_at_default false) are left out at their default.
std::string CanonicalJson(const nlohmann::json& resolved);

// The trial id: Fnv1a64(CanonicalJson(resolved)) as 16 lower-case hex digits, first 12 kept
// (the top 48 bits). The trial's name is not part of it: same config, same id.
std::string TrialId(const nlohmann::json& resolved);

// Dotted key -> compact JSON text of its value, one entry per leaf of `resolved`:
// {"lora.r": "16", "lora.alpha": "32.0", "model.preset": "\"tiny\"", "lora.targets": "[\"q\"]"}.
std::map<std::string, std::string> FlattenParams(const nlohmann::json& resolved);

}  // namespace qlsweep::sweeps
