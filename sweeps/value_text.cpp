// Rendering config values as short text for names, messages and docs.
#include "sweeps/value_text.h"

#include <cmath>

namespace qlsweep::sweeps {

std::string NumberText(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return nlohmann::json(value).dump();
}

std::string ValueText(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return value.get<std::string>();
    case nlohmann::json::value_t::number_float:
      return NumberText(value.get<double>());
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) out += (i ? "," : "") + ValueText(value[i]);
      return out + "]";
    }
    default:
      return value.dump();
  }
}

std::string DescribeValue(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "no value";
    case nlohmann::json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer " + value.dump();
    case nlohmann::json::value_t::number_float:
      return "float " + NumberText(value.get<double>());
    case nlohmann::json::value_t::string:
      return "string '" + value.get<std::string>() + "'";
    case nlohmann::json::value_t::array:
      return "a list";
    case nlohmann::json::value_t::object:
      return "a mapping";
    default:
      return "a value of unknown kind";
  }
}

}  // namespace qlsweep::sweeps
