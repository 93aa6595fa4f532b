// Reading numbers out of trial events without trusting them: a field that is missing, null (JSON
// has no NaN: a NaN loss arrives as null) or not a number gives the fallback, never an exception.
#pragma once

#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qlsweep::runner {

inline double NumberOr(const nlohmann::json& event, std::string_view key,
                       double fallback = std::numeric_limits<double>::quiet_NaN()) {
  if (!event.is_object()) return fallback;
  const auto it = event.find(std::string(key));
  return it != event.end() && it->is_number() ? it->get<double>() : fallback;
}

}  // namespace qlsweep::runner
