// Normalizes flattened config values for the params table (strings unquoted, numbers in `num`).
#include "storage/param_value.h"

#include <nlohmann/json.hpp>

namespace qlsweep::storage {

ParamValue NormalizeParam(const std::string& json_text) {
  const nlohmann::json parsed =
      nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return {json_text, std::nullopt};
  if (parsed.is_string()) return {parsed.get<std::string>(), std::nullopt};
  if (parsed.is_boolean()) return {json_text, parsed.get<bool>() ? 1.0 : 0.0};
  if (parsed.is_number()) return {json_text, parsed.get<double>()};
  return {json_text, std::nullopt};
}

}  // namespace qlsweep::storage
