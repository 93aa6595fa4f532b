// Reads a JSON file and fetches its keys with errors that name the file and the key path.
#include "trainer/tokenizer/json_file.h"

#include <fstream>
#include <stdexcept>

namespace qlsweep::trainer {

nlohmann::json ReadJsonFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
}

const nlohmann::json& RequireKey(const nlohmann::json& j, std::string_view key,
                                 std::string_view where, const std::filesystem::path& file) {
  const std::string full =
      where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
  if (!j.is_object() || !j.contains(key)) {
    throw std::runtime_error(file.string() + ": missing key '" + full + "'");
  }
  return j.at(key);
}

}  // namespace qlsweep::trainer
