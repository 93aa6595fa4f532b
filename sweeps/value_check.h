// Checking one value against its key's spec: type, range, choices; yields the canonical value.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sweeps/schema.h"

namespace qlsweep::sweeps {

// The outcome of a check: `error` is empty when the value is acceptable.
struct CheckedValue {
  nlohmann::json value;  // canonical: int keys int64, float keys double, lists in choice order
  std::string error;     // what is wrong, e.g. "must be in [1, 1024], got 0"
};

// An int is accepted for a float key; a whole float (16.0) for an int key, a fraction is not.
// Strings, booleans and lists are never converted into one another.
CheckedValue CheckValue(const KeySpec& spec, const nlohmann::json& raw);

// Why `v` cannot be a string setting or a trial's name, or "": each is one line of text, and a
// control character (C0 or DEL) in one is a mistake. A NUL would even cut a path short where the
// system reads it, so that another file is opened. E.g. "contains a control character (byte 0x00
// at offset 1); names and paths are one line of printable text".
std::string ControlCharacterError(const std::string& v);

}  // namespace qlsweep::sweeps
