// Reads a JSON file and fetches its keys with errors that name the file and the key path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
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

// v as a whole number in lo..hi; `what` names it ("model.vocab['hello']"). Throws
// std::runtime_error "<file>: 'what' must be a whole number in lo..hi, got <v>" for a fraction, a
// number outside the range (a float such as 4.5e38 too) or anything that is not a number.
int64_t RequireInt(const nlohmann::json& v, std::string_view what,
                   const std::filesystem::path& file, int64_t lo, int64_t hi);

// Runs read(), turning an nlohmann::json exception (a value of an unexpected type, say) into
// std::runtime_error "<file>: <what the library says>", so no raw library error escapes a loader.
template <typename Read>
auto WithFileContext(const std::filesystem::path& file, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": unexpected JSON value: " + e.what());
  }
}

}  // namespace qlsweep::trainer
