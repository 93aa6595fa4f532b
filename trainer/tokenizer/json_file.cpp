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

int64_t RequireInt(const nlohmann::json& v, std::string_view what,
                   const std::filesystem::path& file, int64_t lo, int64_t hi) {
  // Only integer JSON numbers count: converting a float out of range to an integer is undefined.
  bool ok = false;
  int64_t value = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    ok = hi >= 0 && u <= static_cast<uint64_t>(hi) && static_cast<int64_t>(u) >= lo;
    value = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    value = v.get<int64_t>();
    ok = value >= lo && value <= hi;
  }
  if (!ok) {
    throw std::runtime_error(file.string() + ": '" + std::string(what) +
                             "' must be a whole number in " + std::to_string(lo) + ".." +
                             std::to_string(hi) + ", got " + v.dump().substr(0, 40));
  }
  return value;
}

}  // namespace qlsweep::trainer
