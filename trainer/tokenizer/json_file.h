// Reads a JSON file and fetches its keys with errors that name the file and the key path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qlsweep::trainer {

// Parses path; throws std::runtime_error naming it when it is missing or not JSON.
nlohmann::json ReadJsonFile(const std::filesystem::path& path);

// j[key], where j sits at `where` (a dotted path such as "model") in `file`. Throws
// std::runtime_error "<file>: missing key 'model.vocab'" when j is not an object with that key.
const nlohmann::json& RequireKey(const nlohmann::json& j, std::string_view key,
                                 std::string_view where, const std::filesystem::path& file);

}  // namespace qlsweep::trainer
