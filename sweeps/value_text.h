// Rendering config values as short text for names, messages and docs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qlsweep::sweeps {

// Shortest text that reads back as `value`, without a trailing ".0": 64, 0.05, 0.0002, 1e-08.
std::string NumberText(double value);

// A value as it appears in trial names: strings bare, numbers via NumberText, lists as [a,b].
std::string ValueText(const nlohmann::json& value);

// A value with its kind, for error messages: string 'yes', integer 3, float 0.5, a list, ...
std::string DescribeValue(const nlohmann::json& value);

}  // namespace qlsweep::sweeps
