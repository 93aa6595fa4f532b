// How one flattened config value is stored in the params table: text plus an optional number.
#pragma once

#include <optional>
#include <string>

namespace qlsweep::storage {

struct ParamValue {
  std::string text;           // JSON strings unquoted ("nf4"); anything else as JSON text
  std::optional<double> num;  // set for JSON numbers and booleans (true = 1, false = 0)
};

// Normalizes the JSON scalar text of one flattened key ("16", "\"nf4\"", "true", "[\"q\"]").
// Text that is not JSON (a bare nf4) is kept as a string.
ParamValue NormalizeParam(const std::string& json_text);

}  // namespace qlsweep::storage
